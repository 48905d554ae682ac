#include "job/cluster_config.h"

#include "absl/strings/str_cat.h"

namespace ascent {
namespace {

// A list of strings under `key` (absent: empty); anything else is an error naming the key.
void read_strings(YamlReader& r, const std::string& key, std::vector<std::string>* out) {
  const YAML::Node n = r.read_raw(key);
  if (!n || n.IsNull()) return;
  bool ok = n.IsSequence();
  for (size_t i = 0; ok && i < n.size(); ++i) {
    ok = n[i].IsScalar();
    if (ok) out->push_back(n[i].as<std::string>());
  }
  if (!ok) r.fail(key, "must be a list of strings");
}

// Names that go into Kubernetes object names and DNS: lowercase letters, digits and '-'.
bool dns_label(const std::string& s) {
  if (s.empty() || s.size() > 63 || s.front() == '-' || s.back() == '-') return false;
  for (char ch : s) {
    if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-')) return false;
  }
  return true;
}

// Letters, digits and the given punctuation only (values that go into scripts and manifests unquoted).
bool plain(const std::string& s, const std::string& punctuation) {
  for (char ch : s) {
    if (!isalnum(static_cast<unsigned char>(ch)) && punctuation.find(ch) == std::string::npos) return false;
  }
  return true;
}

}  // namespace

void cluster_config_read(YamlReader& c, int64_t run_actors, int64_t run_learner_ranks, ClusterConfig* out) {
  ClusterConfig& k = *out;
  c.read("learner_nodes", &k.learner_nodes, 1, 4096);
  c.read("gpus_per_node", &k.gpus_per_node, 0, 64);
  c.read("actor_nodes", &k.actor_nodes, 1, 4096);
  c.read("actors_per_node", &k.actors_per_node, 1, 4096);
  c.read("port", &k.port, 1, 65535);
  c.read("ascent", &k.ascent);
  YamlReader& s = c.section("slurm");
  s.read("partition", &k.slurm_partition);
  s.read("time", &k.slurm_time);
  s.read("account", &k.slurm_account);
  read_strings(s, "options", &k.slurm_options);
  YamlReader& kube = c.section("k8s");
  kube.read("image", &k.k8s_image);
  kube.read("namespace", &k.k8s_namespace);
  kube.read("volume_claim", &k.k8s_volume_claim);
  kube.read("runs_mount", &k.k8s_runs_mount);
  kube.read("cpu", &k.k8s_cpu);
  kube.read("memory", &k.k8s_memory);
  if (!dns_label(k.k8s_namespace)) kube.fail("namespace", "must be a DNS label (a-z, 0-9, '-')");
  if (!dns_label(k.k8s_volume_claim)) kube.fail("volume_claim", "must be a DNS label (a-z, 0-9, '-')");
  if (k.k8s_runs_mount.empty() || k.k8s_runs_mount[0] != '/' || !plain(k.k8s_runs_mount, "/._-"))
    kube.fail("runs_mount", "must be an absolute path of letters, digits, '/', '.', '_' and '-'");
  if (!k.k8s_image.empty() && !plain(k.k8s_image, "/._-:@"))
    kube.fail("image", "an image reference: letters, digits and / . _ - : @");
  if (!plain(k.k8s_cpu, ".")) kube.fail("cpu", "a Kubernetes quantity such as 2 or 500m");
  if (!plain(k.k8s_memory, ".")) kube.fail("memory", "a Kubernetes quantity such as 8Gi");
  for (const auto& [key, value] :
       {std::pair<const char*, const std::string*>{"partition", &k.slurm_partition},
        {"time", &k.slurm_time},
        {"account", &k.slurm_account}}) {
    if (!plain(*value, ".:_,-"))
      s.fail(key, "letters, digits and . : _ , - only (it becomes an #SBATCH line)");
  }
  for (const std::string& o : k.slurm_options) {
    if (o.rfind("--", 0) != 0 || o.find_first_of("\n\r") != std::string::npos)
      s.fail("options",
             "each an sbatch option on one line, starting with --, got \"" + o.substr(0, 40) + "\"");
  }
  for (const std::string& h : k.hosts) {
    if (!plain(h, ".-_"))
      c.fail("hosts", "host names: letters, digits, '.', '-' and '_', got \"" + h.substr(0, 40) + "\"");
  }
  read_strings(c, "hosts", &k.hosts);
  if (k.actor_nodes * k.actors_per_node != run_actors) {
    c.fail("actors_per_node", absl::StrCat("actor_nodes x actors_per_node (", k.actor_nodes, " x ",
                                           k.actors_per_node, ") must equal run.actors (", run_actors, ")"));
  }
  if (run_learner_ranks % k.learner_nodes != 0) {
    c.fail("learner_nodes", absl::StrCat("run.learner_ranks (", run_learner_ranks,
                                         ") must be a multiple of learner_nodes (", k.learner_nodes, ")"));
  }
  if (k.gpus_per_node > 0 && run_learner_ranks / k.learner_nodes != k.gpus_per_node) {
    c.fail("gpus_per_node", absl::StrCat("one learner rank per GPU: run.learner_ranks / learner_nodes is ",
                                         run_learner_ranks / k.learner_nodes));
  }
}

}  // namespace ascent
