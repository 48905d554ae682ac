#include "rewards/rewards_config.h"

#include <filesystem>

#include "core/status.h"
#include "core/yaml_reader.h"
#include "nlohmann/json.hpp"

namespace ascent {

namespace {

std::string relative_to(const std::string& file, const std::string& path) {
  if (path.empty() || std::filesystem::path(path).is_absolute()) return path;
  return std::filesystem::absolute(std::filesystem::path(file).parent_path() / path)
      .lexically_normal()
      .string();
}

}  // namespace

absl::StatusOr<RewardsConfig> rewards_config_parse(const YAML::Node& node, const std::string& file) {
  RewardsConfig c;
  YamlReader r(node, file, "rewards");
  std::string verifier = "math", mapping = "01", on_error = "drop";
  r.read("verifier", &verifier, {"math", "none"});
  r.read("verifier_timeout_s", &c.verifier_timeout_s, 0.0, {}, true);
  r.read("mapping", &mapping, {"01", "pm1"});
  r.read("weight", &c.verifier_weight);
  r.read("on_error", &on_error, {"drop", "zero"});
  if (YAML::Node rm = node.IsMap() ? node["reward_model"] : YAML::Node(); rm.IsDefined() && !rm.IsNull()) {
    RewardModelConfig m;
    YamlReader& s = r.section("reward_model");
    s.read("path", &m.path);
    s.read("weight", &m.weight);
    s.read("batch_tokens", &m.batch_tokens, 1, int64_t{1} << 30);
    if (m.path.empty()) s.fail("path", "the reward model needs a checkpoint directory");
    m.path = relative_to(file, m.path);
    c.reward_model = m;
  } else {
    r.read_raw("reward_model");
  }
  if (node.IsMap() && node["hero"].IsDefined()) {  // (a default YAML::Node is defined: null)
    HeroConfig hc;
    YamlReader& s = r.section("hero");
    s.read("alpha", &hc.alpha, 0.0, 1.0);
    s.read("beta", &hc.beta, 0.0, 1.0);
    s.read("eps", &hc.eps, 0.0, {}, true);
    s.read("weighting", &hc.weighting);
    s.read("w_min", &hc.w_min, 0.0);
    s.read("w_max", &hc.w_max, 0.0);
    s.read("k", &hc.k, 0.0, {}, true);
    if (hc.w_max < hc.w_min) s.fail("w_max", "must be >= w_min");
    c.hero = hc;
    if (verifier == "none") r.fail("hero", "HERO needs the verifier (rewards.verifier: math)");
    if (!c.reward_model) r.fail("hero", "HERO needs a reward model (rewards.reward_model.path)");
  }
  for (YamlReader* p : r.section_list("plugins")) {
    NamedPlugin np;
    int64_t retries = np.options.retries;
    p->read("name", &np.name);
    p->read("path", &np.options.path);
    p->read("weight", &np.weight);
    p->read("timeout_s", &np.options.item_timeout_s, 0.0, {}, true);
    p->read("retries", &retries, 0, 10);
    np.options.retries = static_cast<int>(retries);
    p->read("memory_mb", &np.options.memory_mb, 0, int64_t{1} << 30);
    np.options.config_json = yaml_to_json(p->read_raw("config")).dump();
    if (np.options.path.empty()) p->fail("path", "a plugin needs the path of its shared library");
    np.options.path = relative_to(file, np.options.path);
    if (np.name.empty()) np.name = std::filesystem::path(np.options.path).stem().string();
    c.plugins.push_back(np);
  }
  for (YamlReader* p : r.section_list("remote")) {
    NamedRemote nr;
    int64_t retries = nr.options.retries, max_batch = nr.options.max_batch;
    p->read("name", &nr.name);
    p->read("address", &nr.options.address);
    p->read("weight", &nr.weight);
    p->read("batch_timeout_s", &nr.options.batch_timeout_s, 0.0, {}, true);
    p->read("item_timeout_s", &nr.options.item_timeout_s, 0.0, {}, true);
    p->read("retries", &retries, 0, 10);
    p->read("max_batch", &max_batch, 1, 1 << 20);
    nr.options.retries = static_cast<int>(retries), nr.options.max_batch = static_cast<int>(max_batch);
    p->read("start_timeout_s", &nr.options.start_timeout_s, 0.0, {}, true);
    int64_t max_restarts = nr.options.max_restarts;
    p->read("max_restarts", &max_restarts, 0, 1000);
    nr.options.max_restarts = static_cast<int>(max_restarts);
    if (const YAML::Node cmd = p->read_raw("command"); cmd && !cmd.IsNull()) {
      for (size_t i = 0; cmd.IsSequence() && i < cmd.size(); ++i) {
        if (cmd[i].IsScalar()) nr.options.command.push_back(cmd[i].as<std::string>());
      }
      if (!cmd.IsSequence() || cmd.size() == 0 || nr.options.command.size() != cmd.size()) {
        p->fail("command", "must be a non-empty list of strings, e.g. [python3, server.py, --port, \"0\"]");
      }
    }
    p->read("dir", &nr.options.command_dir);  // the command's working directory, relative to the recipe's
    if (!nr.options.command.empty()) {        // absolute, without a trailing '/'
      std::filesystem::path d = std::filesystem::absolute(
          relative_to(file, nr.options.command_dir.empty() ? "." : nr.options.command_dir));
      d = d.lexically_normal();
      nr.options.command_dir = (d.has_filename() ? d : d.parent_path()).string();
    }
    for (const char* key : {"dir", "start_timeout_s", "max_restarts"}) {
      const YAML::Node k = p->read_raw(key);
      if (nr.options.command.empty() && k && !k.IsNull()) {
        p->fail(key, "applies to a server that ascent starts: give command, or leave it out");
      }
    }
    p->read("tls_ca", &nr.options.tls_ca);  // a running server's CA: TLS to it
    if (!nr.options.tls_ca.empty()) {
      if (!nr.options.command.empty())
        p->fail("tls_ca",
                "applies to a running server (address): the servers ascent starts listen on 127.0.0.1");
      nr.options.tls_ca = relative_to(file, nr.options.tls_ca);
    }
    p->read("token_env", &nr.options.token_env);  // a running server's token: the variable that holds it
    if (!nr.options.command.empty() && nr.options.token_env != RemoteOptions().token_env) {
      p->fail("token_env",
              "applies to a running server (address): ascent gives the servers it starts a token");
    }
    if (!nr.options.command.empty() && !nr.options.address.empty()) {
      p->fail("command", "give either address (a running server) or command (one ascent starts), not both");
    }
    if (nr.options.address.empty() && nr.options.command.empty()) {
      p->fail("address", "a remote reward needs host:port, or a command that starts its server");
    }
    if (nr.name.empty() && !nr.options.command.empty()) {
      p->fail("name",
              "a reward server that ascent starts needs a name (metrics and run.validation.scorer use it)");
    }
    if (nr.name.empty()) nr.name = nr.options.address;
    c.remote.push_back(nr);
  }
  ASCENT_RETURN_IF_ERROR(r.finish());
  c.verifier = verifier == "math";
  c.plus_minus_one = mapping == "pm1";
  c.on_error = on_error == "zero" ? OnRewardError::kZero : OnRewardError::kDrop;
  return c;
}

}  // namespace ascent
