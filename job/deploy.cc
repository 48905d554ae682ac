#include "job/deploy.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/file_write.h"
#include "core/run_dir.h"
#include "core/run_secret.h"
#include "core/status.h"
#include "transport/tls.h"

namespace ascent {

// The deploy/ templates, compiled in (job/CMakeLists.txt generates the definition).
const char* deploy_template(const std::string& name);

namespace {

namespace fs = std::filesystem;

std::string sbatch_lines(const std::vector<std::string>& opts) {
  std::vector<std::string> lines;
  for (const std::string& o : opts) lines.push_back("#SBATCH " + o);
  return absl::StrJoin(lines, "\n");
}

std::string indent(const std::string& text, const std::string& by) {
  std::vector<std::string> lines = absl::StrSplit(text, '\n');
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  for (std::string& l : lines) l = by + l;
  return absl::StrJoin(lines, "\n");
}

// A DNS-1123 name for the run's Kubernetes objects (and a valid label value): "ascent-", the run's name
// lowercased with '-' for anything else, cut to 40 characters, and 8 hex digits of a hash (FNV-1a) of the whole
// name, so that runs whose names differ only past the cut or in case do not share objects.
std::string k8s_name(const std::string& run) {
  std::string out = "ascent-";
  uint32_t h = 2166136261u;
  for (char ch : run) {
    h = (h ^ static_cast<unsigned char>(ch)) * 16777619u;
    const char lower = (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch - 'A' + 'a') : ch;
    out += ((lower >= 'a' && lower <= 'z') || (lower >= '0' && lower <= '9')) ? lower : '-';
  }
  out = out.substr(0, 40);
  while (!out.empty() && out.back() == '-') out.pop_back();
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08x", h);
  return out + "-" + hex;
}

// `mode`: from the file's creation (the Kubernetes manifest holds the secret: 0600).
absl::Status write(const fs::path& path, const std::string& text, unsigned mode, DeployPlan* plan) {
  ASCENT_RETURN_IF_ERROR(file_write_atomic(path.string(), text, mode));
  plan->files.push_back(path.string());
  return absl::OkStatus();
}

absl::Status render_slurm(const Recipe& r, std::map<std::string, std::string> v, const fs::path& out,
                          DeployPlan* plan) {
  const ClusterConfig& c = r.cluster;
  std::vector<std::string> learner = {
      absl::StrCat("--nodes=", c.learner_nodes),
      absl::StrCat("--ntasks-per-node=", r.run.learner_ranks / c.learner_nodes)};
  if (c.gpus_per_node > 0) learner.push_back(absl::StrCat("--gpus-per-node=", c.gpus_per_node));
  std::vector<std::string> actors = {absl::StrCat("--nodes=", c.actor_nodes),
                                     absl::StrCat("--ntasks-per-node=", c.actors_per_node)};
  for (std::vector<std::string>* part : {&learner, &actors}) {
    if (!c.slurm_partition.empty()) part->push_back("--partition=" + c.slurm_partition);
    if (!c.slurm_time.empty()) part->push_back("--time=" + c.slurm_time);
    if (!c.slurm_account.empty()) part->push_back("--account=" + c.slurm_account);
    for (const std::string& o : c.slurm_options) part->push_back(o);
  }
  // #SBATCH --output takes the path as one word and expands %: neither may be in it.
  const std::string run_dir = learner_run_dir(r);
  if (run_dir.find_first_of(" \t\n%") != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        r.file, ": run.dir: Slurm's --output cannot take the run directory ", run_dir, " (a space or %)"));
  }
  v["SBATCH_LEARNER"] = sbatch_lines(learner);
  v["SBATCH_ACTORS"] = sbatch_lines(actors);
  // Several ranks: Slurm starts them and Open MPI wires them up through PMIx.
  v["SRUN_MPI"] = r.run.learner_ranks > 1 ? "--mpi=pmix " : "";
  ASCENT_ASSIGN_OR_RETURN(std::string text, template_fill(deploy_template("slurm/ascent.sbatch.in"), v,
                                                          "deploy/slurm/ascent.sbatch.in"));
  ASCENT_RETURN_IF_ERROR(write(out / "ascent.sbatch", text, 0755, plan));
  plan->submit = {"sbatch", (out / "ascent.sbatch").string()};
  return absl::OkStatus();
}

absl::Status render_mpirun(const Recipe& r, std::map<std::string, std::string> v, const fs::path& out,
                           DeployPlan* plan) {
  const ClusterConfig& c = r.cluster;
  const size_t need = static_cast<size_t>(c.learner_nodes + c.actor_nodes);
  if (c.hosts.size() < need) {
    return absl::InvalidArgumentError(absl::StrCat(r.file, ": cluster.hosts: mpirun needs ", need,
                                                   " hosts (learner_nodes + actor_nodes), got ",
                                                   c.hosts.size()));
  }
  std::string learner_hosts, actor_hosts;
  for (int64_t i = 0; i < c.learner_nodes; ++i)
    absl::StrAppend(&learner_hosts, c.hosts[i], " slots=", r.run.learner_ranks / c.learner_nodes, "\n");
  for (int64_t i = 0; i < c.actor_nodes; ++i)
    absl::StrAppend(&actor_hosts, c.hosts[c.learner_nodes + i], " slots=", c.actors_per_node, "\n");
  v["LEARNER_HOST"] = shell_quote(c.hosts[0]);
  v["LEARNER_RANKS"] = absl::StrCat(r.run.learner_ranks);
  v["MPIRUN_ROOT"] = geteuid() == 0 ? "--allow-run-as-root " : "";
  ASCENT_ASSIGN_OR_RETURN(std::string text, template_fill(deploy_template("mpirun/launch.sh.in"), v,
                                                          "deploy/mpirun/launch.sh.in"));
  ASCENT_RETURN_IF_ERROR(write(out / "learner.hosts", learner_hosts, 0644, plan));
  ASCENT_RETURN_IF_ERROR(write(out / "actor.hosts", actor_hosts, 0644, plan));
  ASCENT_RETURN_IF_ERROR(write(out / "launch.sh", text, 0755, plan));
  plan->submit = {"bash", (out / "launch.sh").string()};
  return absl::OkStatus();
}

absl::Status render_k8s(const Recipe& r, std::map<std::string, std::string> v, const std::string& secret,
                        const fs::path& out, DeployPlan* plan) {
  const ClusterConfig& c = r.cluster;
  if (c.learner_nodes != 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        r.file,
        ": cluster.learner_nodes: the Kubernetes manifests hold one learner pod (its ranks on its GPUs); "
        "several learner nodes need MPI across pods (use slurm or mpirun)"));
  }
  if (c.k8s_image.empty())
    return absl::InvalidArgumentError(r.file +
                                      ": cluster.k8s.image: the container image with ascent is needed");
  std::ifstream in(r.file);
  std::stringstream recipe;
  recipe << in.rdbuf();
  const std::string service = k8s_name(r.name);
  v["SERVICE"] = service;
  v["NAMESPACE"] = c.k8s_namespace;
  v["SECRET"] = secret;
  v["RECIPE_TEXT"] = indent(recipe.str(), "    ");
  v["IMAGE"] = c.k8s_image;
  v["CPU"] = c.k8s_cpu;
  v["MEMORY"] = c.k8s_memory;
  v["VOLUME_CLAIM"] = c.k8s_volume_claim;
  v["RUNS_MOUNT"] = c.k8s_runs_mount;
  // The pod's ranks (one per GPU) through mpirun inside it; one rank: the learner alone.
  v["LEARNER_LAUNCHER"] = r.run.learner_ranks > 1 ? absl::StrCat("mpirun, -np, \"", r.run.learner_ranks,
                                                                 "\", --allow-run-as-root, --bind-to, none, ")
                                                  : "";
  v["GPU_LIMITS"] = c.gpus_per_node > 0 ? absl::StrCat("{nvidia.com/gpu: ", c.gpus_per_node, "}") : "{}";
  ASCENT_ASSIGN_OR_RETURN(
      std::string text, template_fill(deploy_template("k8s/ascent.yaml.in"), v, "deploy/k8s/ascent.yaml.in"));
  ASCENT_RETURN_IF_ERROR(write(out / "ascent.yaml", text, 0600, plan));  // it holds the run secret
  plan->submit = {"kubectl", "apply", "-f", (out / "ascent.yaml").string()};
  return absl::OkStatus();
}

}  // namespace

std::string shell_quote(const std::string& s) {
  bool safe = !s.empty();
  for (char ch : s)
    safe = safe && (isalnum(static_cast<unsigned char>(ch)) ||
                    std::string("/._-:=+,@").find(ch) != std::string::npos);
  if (safe) return s;
  std::string out = "'";
  for (char ch : s) out += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  return out + "'";
}

absl::StatusOr<std::string> template_fill(const std::string& text,
                                          const std::map<std::string, std::string>& values,
                                          const std::string& name) {
  std::string out;
  size_t at = 0;
  while (true) {
    const size_t open = text.find("{{", at);
    if (open == std::string::npos) break;
    const size_t close = text.find("}}", open + 2);
    if (close == std::string::npos) break;
    const std::string key = text.substr(open + 2, close - open - 2);
    auto it = values.find(key);
    if (it == values.end()) return absl::InternalError(absl::StrCat(name, ": no value for {{", key, "}}"));
    out.append(text, at, open - at);
    out += it->second;
    at = close + 2;
  }
  out.append(text, at, std::string::npos);
  return out;
}

absl::StatusOr<DeployPlan> deploy_render(const Recipe& r, const std::string& recipe_path,
                                         const std::string& scheduler, const std::string& self) {
  if (!r.cluster.present) {
    return absl::FailedPreconditionError(
        absl::StrCat(r.file, ": no cluster: section (nodes, actors per node, port; docs/deploy.md)"));
  }
  if (scheduler != "slurm" && scheduler != "k8s" && scheduler != "mpirun")
    return absl::InvalidArgumentError(absl::StrCat("--on: slurm, k8s or mpirun, got \"", scheduler, "\""));
  const std::string run_dir = learner_run_dir(r);
  ASCENT_RETURN_IF_ERROR(run_dir_create(run_dir));
  // The file, whatever this shell's ASCENT_RUN_SECRET says: the nodes read it there (mpirun does not pass
  // the variable on to other hosts).
  ASCENT_ASSIGN_OR_RETURN(std::string secret, run_secret_get(run_dir, /*create=*/true, /*from_env=*/false));
  // A cluster run leaves loopback: TLS, with the recipe's files or a per-run CA made now, before the parts start
  // (Kubernetes: the learner makes it on the volume, which this machine need not see).
  if (r.run.tls_ca.empty() && scheduler != "k8s")
    ASCENT_RETURN_IF_ERROR(tls_make_run_ca((fs::path(run_dir) / "tls").string(), {}).status());
  const fs::path out = fs::path(run_dir) / "deploy" / scheduler;
  std::error_code ec;
  fs::create_directories(out, ec);
  if (ec) return absl::PermissionDeniedError(absl::StrCat(out.string(), ": ", ec.message()));
  std::map<std::string, std::string> v = {
      {"NAME", r.name},
      {"RUN_DIR", run_dir},
      {"ASCENT", shell_quote(r.cluster.ascent.empty() ? self : r.cluster.ascent)},
      {"RECIPE", shell_quote(fs::absolute(recipe_path).string())},
      {"PORT", absl::StrCat(r.cluster.port)},
      {"PROCESSES", absl::StrCat(r.run.learner_ranks + r.run.actors)},
      {"ACTORS", absl::StrCat(r.run.actors)},
  };
  DeployPlan plan;
  plan.scheduler = scheduler;
  if (scheduler == "slurm") ASCENT_RETURN_IF_ERROR(render_slurm(r, v, out, &plan));
  if (scheduler == "mpirun") ASCENT_RETURN_IF_ERROR(render_mpirun(r, v, out, &plan));
  if (scheduler == "k8s") ASCENT_RETURN_IF_ERROR(render_k8s(r, v, secret, out, &plan));
  return plan;
}

}  // namespace ascent
