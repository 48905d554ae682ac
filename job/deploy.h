// `ascent launch`: a recipe's cluster: section (job/cluster_config.h) rendered through the templates of
// deploy/ (compiled in) into files under <run dir>/deploy/<scheduler>/ (docs/deploy.md):
//   slurm:  ascent.sbatch, a heterogeneous job (learner ranks + actors), requeue resumes
//   k8s:    ascent.yaml, a Secret, the recipe's ConfigMap, a headless Service, the learner's and the actors'
//           Indexed Jobs, the run directory on a PersistentVolumeClaim
//   mpirun: launch.sh with learner.hosts and actor.hosts
// Before rendering, the run directory gets its secret (core/run_secret.h, mode 0600) and, since a cluster run
// leaves loopback, its per-run CA (transport/tls.h): every part finds them there (Slurm, mpirun: a shared file
// system; Kubernetes: the secret goes into the Secret and the learner makes the CA on the volume).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "job/recipe.h"

namespace ascent {

struct DeployPlan {
  std::string scheduler;            // slurm | k8s | mpirun
  std::vector<std::string> files;   // what was written
  std::vector<std::string> submit;  // the command that submits it (argv)
};

// FailedPrecondition when the recipe has no cluster: section; InvalidArgument for what a scheduler cannot do
// (a Kubernetes learner over several nodes, mpirun without hosts). `self` is this binary (cluster.ascent's
// default).
absl::StatusOr<DeployPlan> deploy_render(const Recipe& r, const std::string& recipe_path,
                                         const std::string& scheduler, const std::string& self);

// {{KEY}} replaced by values[KEY]; Internal naming the template and the key for a placeholder without a value.
absl::StatusOr<std::string> template_fill(const std::string& text,
                                          const std::map<std::string, std::string>& values,
                                          const std::string& name);
// A word for bash: single-quoted unless it is made of safe characters only.
std::string shell_quote(const std::string& s);

}  // namespace ascent
