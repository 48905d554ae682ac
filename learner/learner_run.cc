#include "learner/learner_run.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <set>

#include "absl/strings/str_cat.h"
#include "collective/nccl_collective.h"
#include "core/file_write.h"
#include "core/run_dir.h"
#include "core/status.h"
#include "core/threads.h"
#include "learner/checkpoint.h"
#include "learner/optimizer.h"
#include "learner/reference_policy.h"
#include "learner/rollout_proto.h"
#include "yaml-cpp/yaml.h"

namespace ascent {
namespace {

namespace fs = std::filesystem;

// Rank 0: the checkpoint to resume from ("" for a fresh run), after --fresh / --resume are applied.
absl::StatusOr<std::string> resume_checkpoint(const std::string& run_dir, const LearnerOptions& o) {
  if (o.fresh) ASCENT_RETURN_IF_ERROR(run_dir_remove(run_dir));
  std::string ckpt;
  if (o.resume || o.requeue) {
    std::vector<std::string> refused;
    auto latest = checkpoint_latest(run_dir, &refused);
    for (const std::string& why : refused)
      std::fprintf(stderr, "ascent learner: WARNING: checkpoint %s\n", why.c_str());
    // --requeue (a scheduler starting the job again): no checkpoint yet means the attempt before made none,
    // and the run starts over in place (its metrics are rewritten; the run secret and TLS files stay).
    if (!latest.ok() && o.requeue && latest.status().code() == absl::StatusCode::kNotFound) {
      std::fprintf(stderr, "ascent learner: --requeue: no checkpoint in %s, starting at step 0\n",
                   run_dir.c_str());
    } else if (!latest.ok()) {
      return absl::Status(latest.status().code(),
                          absl::StrCat(o.requeue ? "--requeue: " : "--resume: ", latest.status().message()));
    } else {
      if (!refused.empty() && fs::exists(fs::path(*latest) / "manifest.json"))
        std::fprintf(stderr, "ascent learner: resuming from %s, the newest checkpoint that verifies\n",
                     latest->c_str());
      ckpt = *latest;
    }
  } else if (fs::exists(fs::path(run_dir) / "metrics.jsonl")) {
    return absl::AlreadyExistsError(absl::StrCat(run_dir,
                                                 " holds a run already: --resume continues it, --fresh "
                                                 "starts over (deleting it), or change the recipe's name"));
  }
  ASCENT_RETURN_IF_ERROR(run_dir_create(run_dir));
  for (const std::string& name : checkpoint_remove_unfinished(run_dir)) {
    std::fprintf(stderr, "ascent learner: removed the unfinished checkpoint %s/checkpoints/%s\n",
                 run_dir.c_str(), name.c_str());
  }
  // The launcher sends its stop here (rank 0), never to mpirun: see job/launch.cc.
  ASCENT_RETURN_IF_ERROR(
      file_write_atomic((fs::path(run_dir) / "learner.pid").string(), absl::StrCat(getpid(), "\n")));
  return ckpt;
}

// The first key under which two YAML nodes differ ("algorithm.group_size: 4 -> 8"), "" when they are equal.
std::string yaml_first_difference(const YAML::Node& a, const YAML::Node& b, const std::string& at) {
  // A key absent on one side is a zombie node there: IsDefined() is the one call it answers without throwing.
  const bool da = a.IsDefined(), db = b.IsDefined();
  if (da && db && a.IsMap() && b.IsMap()) {
    std::set<std::string> keys;
    for (const auto& kv : a) keys.insert(kv.first.as<std::string>());
    for (const auto& kv : b) keys.insert(kv.first.as<std::string>());
    for (const std::string& k : keys) {
      std::string d = yaml_first_difference(a[k], b[k], at.empty() ? k : absl::StrCat(at, ".", k));
      if (!d.empty()) return d;
    }
    return "";
  }
  const std::string x = da ? YAML::Dump(a) : "(absent)", y = db ? YAML::Dump(b) : "(absent)";
  return x == y ? "" : absl::StrCat(at, ": ", x, " -> ", y);
}

// A resume may change how the run goes on (run.*, optimizer.*, generation.*: more steps, more actors, a
// lower lr), never what it is: the seed, the model, the data, the algorithm and the rewards stay those of
// the run's recipe.resolved.yaml, or the resumed leases, data order and advantages would mean something else.
absl::Status recipe_resume_check(const std::string& run_dir, const LearnerConfig& r) {
  const std::string saved_path = (fs::path(run_dir) / "recipe.resolved.yaml").string();
  if (!fs::exists(saved_path)) return absl::OkStatus();
  YAML::Node saved, now;
  try {
    saved = YAML::LoadFile(saved_path);
    now = YAML::Load(r.recipe_resolved);
  } catch (const YAML::Exception& e) {
    return absl::DataLossError(absl::StrCat(saved_path, ": ", e.what()));
  }
  for (const char* key : {"seed", "model", "data", "algorithm", "rewards"}) {
    const std::string d = yaml_first_difference(saved[key], now[key], key);
    if (d.empty()) continue;
    return absl::FailedPreconditionError(absl::StrCat(
        r.file, ": --resume with a changed ", d, " (the run's recipe is ", saved_path,
        "): a resumed run keeps its seed, model, data, algorithm and rewards; give the recipe another name "
        "to start a new run"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<StepGradient> learner_optimise(LearnerModels& models, LearnerOptimizer& opt,
                                              const RolloutBatch& rb, const LearnerConfig& r, int64_t step,
                                              Collective& coll, double* grad_norm) {
  LmHeadOptions head;
  head.temperature = r.generation.sampler.temperature > 0 ? r.generation.sampler.temperature : 1.0f;
  Model& m = models.policy;
  ASCENT_ASSIGN_OR_RETURN(
      StepGradient g,
      train_step_gradients(m, rb, r.algorithm, head, r.run.micro_batch_tokens, coll, models.reference));
  if (models.lora == nullptr) {
    *grad_norm = opt.step(m, step + 1);
    return g;
  }
  // LoRA: dL/dW projected onto the adapters (model/lora.h), AdamW on them, then W = W0 + s B A again.
  LoraAdapters& a = *models.lora;
  model_grads_to_host(m);
  std::vector<float> grads(static_cast<size_t>(a.size()));
  lora_project_grads(a, m.grads.data(), grads.data());
  *grad_norm = opt.step_host(grads.data(), a.params.data(), step + 1);
  if (std::isfinite(*grad_norm)) {
    lora_merge(a, m.params.data());
    // Finite adapters can still overflow W0 + s B A: never publish or save that.
    if (int64_t at = first_non_finite(m.params.data(), static_cast<int64_t>(m.params.size())); at >= 0) {
      return absl::FailedPreconditionError(absl::StrCat("step ", step + 1,
                                                        ": the merged LoRA weights are not finite (element ",
                                                        at, "); stopped before publishing or saving them"));
    }
    model_params_to_backend(m);
  }
  return g;
}

absl::Status learner_follow(const LearnerConfig& r, LearnerModels& models, LearnerOptimizer& opt,
                            Collective& coll) {
  while (true) {
    std::string bytes;
    coll.broadcast(&bytes, 0);
    rollout::v1::TrainBatch tb;
    if (!tb.ParseFromString(bytes)) return absl::DataLossError("rank 0 sent a batch that does not parse");
    if (tb.stop()) return absl::OkStatus();
    if (tb.gather_optimizer()) {  // rank 0 writes a checkpoint: it needs this rank's AdamW shard
      opt.gather_full();
      continue;
    }
    ASCENT_ASSIGN_OR_RETURN(RolloutBatch rb, train_batch_from_proto(tb));
    double norm = 0;
    ASCENT_RETURN_IF_ERROR(learner_optimise(models, opt, rb, r, tb.step(), coll, &norm).status());
  }
}

namespace {
absl::Status learner_main(const LearnerConfig& r, const PromptSet& data, const LearnerOptions& o,
                          Collective& coll, LearnerModels& models, std::string ckpt, AdamWState& saved,
                          ResumePoint resume);

// The policy at the start: the recipe's model or the checkpoint's. With LoRA the recipe's model is the base
// W0, the adapters are new (seeded) or the checkpoint's, and the policy gets W0 + s B A.
absl::StatusOr<Model> policy_load(const LearnerConfig& r, const std::string& ckpt, AdamWState* saved,
                                  nlohmann::json* state, std::optional<LoraAdapters>* lora) {
  const bool adapter_ckpt = !ckpt.empty() && fs::exists(fs::path(ckpt) / "adapter");
  if (!r.lora) {
    if (adapter_ckpt)
      return absl::FailedPreconditionError(absl::StrCat(
          r.file, ": ", ckpt, " holds LoRA adapters (adapter/): resuming it needs the recipe's model.lora"));
    if (ckpt.empty()) return model_load(r.model_path);
    return checkpoint_load(ckpt, saved, state);
  }
  if (!ckpt.empty() && !adapter_ckpt) {
    return absl::FailedPreconditionError(
        absl::StrCat(r.file, ": model.lora, but ", ckpt, " holds a whole model: it was not a LoRA run"));
  }
  ASCENT_ASSIGN_OR_RETURN(Model m, model_load(r.model_path));
  absl::StatusOr<LoraAdapters> a = ckpt.empty() ? lora_create(m, *r.lora, r.seed)
                                                : lora_load_peft(m, (fs::path(ckpt) / "adapter").string());
  if (!a.ok())
    return absl::Status(a.status().code(), absl::StrCat(r.file, ": model.lora: ", a.status().message()));
  const LoraConfig& c = a->cfg;
  auto sorted = [](std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
  };
  if (c.rank != r.lora->rank || c.alpha != r.lora->alpha || c.rslora != r.lora->rslora ||
      sorted(c.target_modules) != sorted(r.lora->target_modules)) {
    return absl::FailedPreconditionError(absl::StrCat(r.file, ": model.lora differs from the adapters of ",
                                                      ckpt, " (rank, alpha, rslora, target_modules)"));
  }
  if (!ckpt.empty()) {
    ASCENT_RETURN_IF_ERROR(checkpoint_load_state(ckpt, a->size(), saved, state));
    const std::string want = state->value("lora_base", std::string());
    if (!want.empty() && want != lora_base_fingerprint(*a)) {
      return absl::FailedPreconditionError(
          absl::StrCat(r.file, ": model.path ", r.model_path, " is not the base model the adapters of ", ckpt,
                       " were trained on (its weights changed since: an `ascent sft --out` over it?)"));
    }
  }
  lora_merge(*a, m.params.data());
  lora->emplace(std::move(*a));
  return m;
}

// The device of this rank: the recipe's; with several ranks, "cuda" puts each on its own GPU: cuda:(local rank
// modulo the GPUs it sees), the local rank from Open MPI, Slurm or MPICH (a rank shown one GPU, as Slurm's
// --gpus-per-task=1 does, takes cuda:0). A fixed cuda:N cannot serve several ranks (NCCL needs a GPU each).
absl::StatusOr<Device> learner_device(const LearnerConfig& r, int ranks) {
  Device d = *device_parse(r.run.device);  // the recipe checked the name
  if (d.kind == DeviceKind::kCpu || ranks == 1) return d;
  if (r.run.device != "cuda") {
    return absl::InvalidArgumentError(
        absl::StrCat(r.file, ": run.device: ", r.run.device, " with ", ranks,
                     " learner ranks: write cuda (each rank takes its local GPU)"));
  }
  for (const char* var : {"OMPI_COMM_WORLD_LOCAL_RANK", "SLURM_LOCALID", "MPI_LOCALRANKID"}) {
    if (const char* v = std::getenv(var)) {
      d.index = std::atoi(v) % std::max(1, device_count(DeviceKind::kCuda));
      break;
    }
  }
  return d;
}
}  // namespace

absl::Status learner_run(const LearnerConfig& r, const PromptSet& data, const LearnerOptions& o,
                         Collective& coll) {
  threads_set_count(static_cast<int>(r.run.learner_threads));
  const std::string run_dir = learner_run_dir(r);
  // The checkpoint to resume from, decided on rank 0 and told to the others.
  std::string ckpt;
  std::optional<RunDirLock> lock;  // held by rank 0 until the run ends, unless `ascent train` holds it
  if (coll.rank() == 0) {
    const char* held = std::getenv(kRunLockHeldEnv);  // this run's lock, shared by `ascent train`
    if (held == nullptr || RunDirLock::path_for(run_dir) != held) {
      ASCENT_ASSIGN_OR_RETURN(RunDirLock l, RunDirLock::acquire(run_dir));
      lock.emplace(std::move(l));
    }
    if (o.resume || (o.requeue && fs::exists(fs::path(run_dir) / "recipe.yaml")))
      ASCENT_RETURN_IF_ERROR(recipe_resume_check(run_dir, r));
    ASCENT_ASSIGN_OR_RETURN(ckpt, resume_checkpoint(run_dir, o));
  }
  coll.broadcast(&ckpt, 0);

  ResumePoint resume;
  resume.dir = ckpt;
  AdamWState saved;
  std::optional<LoraAdapters> lora;
  ASCENT_ASSIGN_OR_RETURN(Model m, policy_load(r, ckpt, &saved, &resume.state, &lora));
  m.source_dir = r.model_path;  // tokenizer files come from the recipe's model in every checkpoint
  model_grads_enable(m);
  ASCENT_ASSIGN_OR_RETURN(const Device device, learner_device(r, coll.size()));
  absl::StatusOr<Backend*> backend = backend_for(device);
  if (!backend.ok())
    return absl::Status(backend.status().code(),
                        absl::StrCat(r.file, ": run.device: ", backend.status().message()));
  model_to_backend(m, **backend);
  // The KL's frozen reference: the recipe's model (where the run started, also on a resume) or kl.reference.
  std::optional<Model> ref;
  if (r.algorithm.loss.kl.beta > 0) {
    const std::string& dir = r.algorithm.loss.kl.reference;
    absl::StatusOr<Model> loaded = reference_load(dir.empty() ? r.model_path : dir, m, **backend);
    if (!loaded.ok())
      return absl::Status(loaded.status().code(), absl::StrCat(r.file, ": ", loaded.status().message()));
    ref.emplace(std::move(*loaded));
  }
  // GPU ranks sum their gradients with NCCL; its communicator forwards the host operations to `coll`. LoRA
  // sums the adapters' gradients on the host (MPI): they are small.
  std::unique_ptr<Collective> nccl;
  if (!(*backend)->host_memory() && coll.size() > 1 && !lora) {
    absl::StatusOr<std::unique_ptr<Collective>> c = collective_nccl(coll);
    if (!c.ok())
      return absl::Status(c.status().code(), absl::StrCat(r.file, ": run.device: ", c.status().message()));
    nccl = std::move(*c);
  }
  LearnerModels models{m, ref ? &*ref : nullptr, lora ? &*lora : nullptr};
  return learner_main(r, data, o, nccl ? *nccl : coll, models, std::move(ckpt), saved, std::move(resume));
}

namespace {
// The learner once its model is on its device: the optimiser (resumed from the checkpoint's state), then rank 0
// runs the steps and the other ranks follow.
absl::Status learner_main(const LearnerConfig& r, const PromptSet& data, const LearnerOptions& o,
                          Collective& coll, LearnerModels& models, std::string ckpt, AdamWState& saved,
                          ResumePoint resume) {
  LearnerOptimizer opt(r.optimizer, static_cast<int>(r.optimizer.zero_stage), coll, models.trained_count());
  if (!ckpt.empty()) {
    opt.load(saved);  // every rank read the whole state; each keeps its part
    resume.step = resume.state.at("step").get<int64_t>();  // checkpoint_load_state checked: an integer >= 0
    if (resume.step > r.run.steps) {
      return absl::FailedPreconditionError(
          absl::StrCat(ckpt, "/state.json: step ", resume.step, " is past the recipe's run.steps (",
                       r.run.steps, "): raise run.steps in ", r.file, " to train on, or resume another run"));
    }
  }
  saved = AdamWState{};
  if (coll.rank() != 0) return learner_follow(r, models, opt, coll);

  Learner learner(r, data, o, coll, models, opt, std::move(resume));
  ASCENT_RETURN_IF_ERROR(learner.start());
  return learner.run();
}
}  // namespace

}  // namespace ascent
