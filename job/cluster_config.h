// The recipe's `cluster:` section (docs/deploy.md): where a run's parts go when a scheduler places them.
// `ascent launch RECIPE --on slurm|k8s|mpirun` renders it through the templates of deploy/ (job/deploy.h).
//
//   cluster:
//     learner_nodes: 1         # nodes of the learner's ranks (run.learner_ranks spread evenly over them)
//     gpus_per_node: 0         # GPUs a learner node asks for (0: none; the ranks run on CPUs)
//     actor_nodes: 1           # nodes of the actors
//     actors_per_node: 2       # run.actors = actor_nodes x actors_per_node
//     port: 29500              # the learner's rollout port on its node (actors dial it)
//     ascent: /opt/ascent/bin/ascent   # the binary on the nodes (default: the launching one's path)
//     slurm: {partition: "", time: "", account: "", options: []}     # options: more #SBATCH lines
//     k8s: {image: "", namespace: default, volume_claim: ascent-runs, runs_mount: /runs, cpu: "2", memory: 8Gi}
//     hosts: []                # mpirun: host names, the first runs the learner
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/yaml_reader.h"

namespace ascent {

struct ClusterConfig {
  bool present = false;  // the recipe has the section
  int64_t learner_nodes = 1, gpus_per_node = 0, actor_nodes = 1, actors_per_node = 1;
  int64_t port = 29500;
  std::string ascent;  // "" = the launching binary's path
  std::string slurm_partition, slurm_time, slurm_account;
  std::vector<std::string> slurm_options;
  std::string k8s_image, k8s_namespace = "default", k8s_volume_claim = "ascent-runs",
                         k8s_runs_mount = "/runs";
  std::string k8s_cpu = "2", k8s_memory = "8Gi";
  std::vector<std::string> hosts;
};

// Reads `c` (the cluster section's reader) into *out and checks it against the run section: run.actors must be
// actor_nodes x actors_per_node and run.learner_ranks a multiple of learner_nodes (errors name the keys).
void cluster_config_read(YamlReader& c, int64_t run_actors, int64_t run_learner_ranks, ClusterConfig* out);

}  // namespace ascent
