#include "learner/learner_run.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>

#include "absl/strings/str_cat.h"
#include "collective/nccl_collective.h"
#include "core/file_write.h"
#include "core/status.h"
#include "core/threads.h"
#include "learner/checkpoint.h"
#include "learner/optimizer.h"
#include "learner/reference_policy.h"
#include "learner/rollout_proto.h"

namespace ascent {
namespace {

namespace fs = std::filesystem;

// Rank 0: the checkpoint to resume from ("" for a fresh run), after --fresh / --resume are applied.
absl::StatusOr<std::string> resume_checkpoint(const std::string& run_dir, const LearnerOptions& o) {
  std::error_code ec;
  if (o.fresh) fs::remove_all(run_dir, ec);
  std::string ckpt;
  if (o.resume) {
    auto latest = checkpoint_latest(run_dir);
    if (!latest.ok()) return absl::NotFoundError(absl::StrCat("--resume: ", latest.status().message()));
    ckpt = *latest;
  } else if (fs::exists(fs::path(run_dir) / "metrics.jsonl")) {
    return absl::AlreadyExistsError(absl::StrCat(run_dir,
                                                 " holds a run already: --resume continues it, --fresh "
                                                 "starts over (deleting it), or change the recipe's name"));
  }
  fs::create_directories(run_dir, ec);
  if (ec) return absl::PermissionDeniedError(absl::StrCat(run_dir, ": ", ec.message()));
  for (const std::string& name : checkpoint_remove_unfinished(run_dir)) {
    std::fprintf(stderr, "ascent learner: removed the unfinished checkpoint %s/checkpoints/%s\n",
                 run_dir.c_str(), name.c_str());
  }
  // The launcher sends its stop here (rank 0), never to mpirun: see job/launch.cc.
  ASCENT_RETURN_IF_ERROR(
      file_write_atomic((fs::path(run_dir) / "learner.pid").string(), absl::StrCat(getpid(), "\n")));
  return ckpt;
}

}  // namespace

absl::StatusOr<StepGradient> learner_optimise(Model& m, Model* ref, LearnerOptimizer& opt,
                                              const RolloutBatch& rb, const LearnerConfig& r, int64_t step,
                                              Collective& coll, double* grad_norm) {
  LmHeadOptions head;
  head.temperature = r.generation.sampler.temperature > 0 ? r.generation.sampler.temperature : 1.0f;
  ASCENT_ASSIGN_OR_RETURN(
      StepGradient g, train_step_gradients(m, rb, r.algorithm, head, r.run.micro_batch_tokens, coll, ref));
  *grad_norm = opt.step(m, step + 1);
  return g;
}

absl::Status learner_follow(const LearnerConfig& r, Model& m, Model* ref, LearnerOptimizer& opt,
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
    ASCENT_RETURN_IF_ERROR(learner_optimise(m, ref, opt, rb, r, tb.step(), coll, &norm).status());
  }
}

namespace {
absl::Status learner_main(const LearnerConfig& r, const PromptSet& data, const LearnerOptions& o,
                          Collective& coll, Model& m, Model* ref, std::string ckpt, AdamWState& saved,
                          ResumePoint resume);

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
  if (coll.rank() == 0) {
    ASCENT_ASSIGN_OR_RETURN(ckpt, resume_checkpoint(run_dir, o));
  }
  coll.broadcast(&ckpt, 0);

  ResumePoint resume;
  resume.dir = ckpt;
  AdamWState saved;
  ASCENT_ASSIGN_OR_RETURN(
      Model m, ckpt.empty() ? model_load(r.model_path) : checkpoint_load(ckpt, &saved, &resume.state));
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
  // GPU ranks sum their gradients with NCCL; its communicator forwards the host operations to `coll`.
  std::unique_ptr<Collective> nccl;
  if (!(*backend)->host_memory() && coll.size() > 1) {
    absl::StatusOr<std::unique_ptr<Collective>> c = collective_nccl(coll);
    if (!c.ok())
      return absl::Status(c.status().code(), absl::StrCat(r.file, ": run.device: ", c.status().message()));
    nccl = std::move(*c);
  }
  return learner_main(r, data, o, nccl ? *nccl : coll, m, ref ? &*ref : nullptr, std::move(ckpt), saved,
                      std::move(resume));
}

namespace {
// The learner once its model is on its device: the optimiser (resumed from the checkpoint's state), then rank 0
// runs the steps and the other ranks follow.
absl::Status learner_main(const LearnerConfig& r, const PromptSet& data, const LearnerOptions& o,
                          Collective& coll, Model& m, Model* ref, std::string ckpt, AdamWState& saved,
                          ResumePoint resume) {
  LearnerOptimizer opt(r.optimizer, static_cast<int>(r.optimizer.zero_stage), coll,
                       static_cast<int64_t>(m.params.size()));
  if (!ckpt.empty()) {
    opt.load(saved);  // every rank read the whole state; each keeps its part
    resume.step = resume.state.at("step").get<int64_t>();
  }
  saved = AdamWState{};
  if (coll.rank() != 0) return learner_follow(r, m, ref, opt, coll);

  Learner learner(r, data, o, coll, m, ref, opt, std::move(resume));
  ASCENT_RETURN_IF_ERROR(learner.start());
  return learner.run();
}
}  // namespace

}  // namespace ascent
