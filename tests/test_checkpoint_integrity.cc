// Checkpoints and run directories under damage (issue: reliability under faults and bad input): a manifest of
// sizes and CRC-32s found by an independent check value, a flipped bit or a truncated file refused and the
// newest checkpoint that verifies taken instead, a full disk (RLIMIT_FSIZE, in a child process) that fails a
// save or a metrics line loudly and leaves the older checkpoint whole, run names that are never paths,
// --fresh that deletes only what ascent made, and one process per run directory.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include "core/file_manifest.h"
#include "core/file_write.h"
#include "core/run_dir.h"
#include "learner/checkpoint.h"
#include "learner/run_log.h"
#include "nlohmann/json.hpp"
#include "tests/model_fixtures.h"
#include "tests/scratch.h"

namespace ascent {
namespace {

namespace fs = std::filesystem;

std::string fresh_dir(const std::string& name) {
  return scratch_dir("ckpt", name);
}

// Two checkpoints (steps 1 and 2) of a small model, keep 3.
std::string two_checkpoints(const std::string& name) {
  const std::string run = fresh_dir(name);
  Model m = test_model(ModelArch::kLlama, false, 7);
  AdamWState opt;
  adamw_init(opt, m.layout.total);
  EXPECT_TRUE(checkpoint_save(run, 1, m, nullptr, opt, run_state_at(1), 3).ok());
  m.params[0] += 1.0f;
  EXPECT_TRUE(checkpoint_save(run, 2, m, nullptr, opt, run_state_at(2), 3).ok());
  return run;
}

void flip_byte(const std::string& path, int64_t at) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(at);
  char c = 0;
  f.read(&c, 1);
  c = static_cast<char>(c ^ 0x10);
  f.seekp(at);
  f.write(&c, 1);
}

// Runs `body` in a child process whose files cannot grow past `limit` bytes (writes beyond it fail with
// EFBIG, as on a full disk); the child exits with body's result.
int with_file_size_limit(rlim_t limit, const std::function<int()>& body) {
  const pid_t pid = fork();
  if (pid == 0) {
    signal(SIGXFSZ, SIG_IGN);
    const rlimit rl{limit, limit};
    setrlimit(RLIMIT_FSIZE, &rl);
    _exit(body());
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
}

TEST(FileManifest, Crc32IsTheStandardCheckValue) {
  const std::string dir = fresh_dir("crc");
  const std::string path = dir + "/check";
  ASSERT_TRUE(file_write_atomic(path, "123456789").ok());
  uint32_t crc = 0;
  int64_t bytes = 0;
  ASSERT_TRUE(file_crc32(path, &crc, &bytes).ok());
  EXPECT_EQ(crc, 0xCBF43926u) << "CRC-32/ISO-HDLC of \"123456789\" (the catalogue's check value)";
  EXPECT_EQ(bytes, 9);
}

TEST(FileManifest, FindsAFlippedBitATruncationAMissingFileAndNoManifest) {
  const std::string dir = fresh_dir("manifest");
  fs::create_directories(dir + "/sub");
  ASSERT_TRUE(file_write_atomic(dir + "/a.bin", std::string(100000, 'a')).ok());
  ASSERT_TRUE(file_write_atomic(dir + "/sub/b.txt", "bee").ok());
  ASSERT_TRUE(manifest_write(dir).ok());
  ASSERT_TRUE(manifest_verify(dir).ok());
  flip_byte(dir + "/a.bin", 51234);
  absl::Status st = manifest_verify(dir);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(status_text(st).find("a.bin: CRC-32 differs"), std::string::npos) << st;
  flip_byte(dir + "/a.bin", 51234);
  ASSERT_TRUE(manifest_verify(dir).ok()) << "flipped back";
  fs::resize_file(dir + "/sub/b.txt", 2);
  st = manifest_verify(dir);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(status_text(st).find("sub/b.txt: 2 bytes, the manifest says 3"), std::string::npos) << st;
  fs::remove(dir + "/sub/b.txt");
  EXPECT_NE(status_text(manifest_verify(dir)).find("b.txt: cannot open"), std::string::npos);
  fs::remove(dir + "/manifest.json");
  EXPECT_NE(status_text(manifest_verify(dir)).find("manifest.json"), std::string::npos);
}

TEST(CheckpointIntegrity, ACheckpointFromBeforeManifestsIsTakenUnverifiedAndSaidSo) {
  const std::string run = two_checkpoints("legacy");
  fs::remove(run + "/checkpoints/step-000001/manifest.json");
  fs::remove(run + "/checkpoints/step-000002/manifest.json");
  std::vector<std::string> notes;
  auto got = checkpoint_latest(run, &notes);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(fs::path(*got).filename(), "step-000002") << "not set aside: an older ascent wrote it whole";
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].find("no manifest.json"), std::string::npos) << notes[0];
}

TEST(CheckpointIntegrity, OnceARunHasManifestsACheckpointWithoutOneIsDamage) {
  const std::string run = two_checkpoints("lost_manifest");
  fs::remove(run + "/checkpoints/step-000002/manifest.json");
  std::vector<std::string> notes;
  auto got = checkpoint_latest(run, &notes);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(fs::path(*got).filename(), "step-000001") << "a lost manifest does not skip the check";
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].find("manifest.json"), std::string::npos) << notes[0];
}

TEST(CheckpointIntegrity, AnUnreadableCheckpointIsAnErrorAndIsNotSetAside) {
  // A read that fails (EIO on a bad disk, EACCES) need not be damage. A directory in the file's place makes
  // read(2) fail with EISDIR, for root too (who may open anything).
  const std::string run = two_checkpoints("unreadable");
  const std::string file = run + "/checkpoints/step-000002/optimizer.safetensors";
  fs::rename(file, file + ".moved");
  fs::create_directories(file);
  auto got = checkpoint_latest(run);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), absl::StatusCode::kUnavailable) << got.status();
  EXPECT_TRUE(fs::exists(run + "/checkpoints/step-000002")) << "maybe whole: left where it is";
}

TEST(CheckpointIntegrity, ACorruptNewestCheckpointFallsBackToTheOlderOneAndSaysWhy) {
  const std::string run = two_checkpoints("flip");
  const std::string newest = run + "/checkpoints/step-000002";
  flip_byte(newest + "/model/model.safetensors",
            static_cast<int64_t>(fs::file_size(newest + "/model/model.safetensors")) / 2);
  std::vector<std::string> refused;
  auto got = checkpoint_latest(run, &refused);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(fs::path(*got).filename(), "step-000001");
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_NE(refused[0].find("model/model.safetensors: CRC-32 differs"), std::string::npos) << refused[0];
  EXPECT_NE(refused[0].find("step-000002.refused"), std::string::npos) << refused[0];
  EXPECT_TRUE(fs::exists(newest + ".refused")) << "set aside, not deleted";
  EXPECT_FALSE(fs::exists(newest));
  refused.clear();
  ASSERT_TRUE(checkpoint_latest(run, &refused).ok());
  EXPECT_TRUE(refused.empty()) << "a set-aside checkpoint is not tried again";
}

TEST(CheckpointIntegrity, TruncatedOrMissingFilesAreRefusedAndNoneVerifyingIsAnError) {
  const std::string run = two_checkpoints("trunc");
  const std::string root = run + "/checkpoints/";
  fs::resize_file(root + "step-000002/optimizer.safetensors", 100);
  fs::remove(root + "step-000001/state.json");
  std::vector<std::string> refused;
  auto got = checkpoint_latest(run, &refused);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(status_text(got.status()).find("optimizer.safetensors: 100 bytes"), std::string::npos)
      << got.status();
  EXPECT_NE(status_text(got.status()).find("state.json: cannot open"), std::string::npos) << got.status();
  EXPECT_EQ(refused.size(), 2u);
  EXPECT_EQ(checkpoint_latest(fresh_dir("none")).status().code(), absl::StatusCode::kNotFound);
}

TEST(CheckpointIntegrity, AFullDiskFailsTheSaveLoudlyAndKeepsTheOlderCheckpoint) {
  const std::string run = fresh_dir("full");
  Model m = test_model(ModelArch::kQwen3, false, 9);
  AdamWState opt;
  adamw_init(opt, m.layout.total);
  ASSERT_TRUE(checkpoint_save(run, 1, m, nullptr, opt, run_state_at(1), 1).ok());
  const rlim_t limit =
      static_cast<rlim_t>(fs::file_size(run + "/checkpoints/step-000001/optimizer.safetensors") / 2);
  const int code = with_file_size_limit(limit, [&] {
    absl::Status st = checkpoint_save(run, 2, m, nullptr, opt, run_state_at(2), 1);
    if (st.ok()) return 1;
    if (status_text(st).find("File too large") == std::string::npos) return 2;
    return 0;
  });
  EXPECT_EQ(code, 0) << "1: the save said ok; 2: the error did not carry the system's reason";
  auto latest = checkpoint_latest(run);
  ASSERT_TRUE(latest.ok()) << latest.status();
  EXPECT_EQ(fs::path(*latest).filename(), "step-000001") << "keep: 1 must not rotate towards a failed save";
  EXPECT_FALSE(fs::exists(run + "/checkpoints/step-000002.tmp")) << "the failed save's space is given back";
  std::ifstream f(run + "/checkpoints/latest");
  std::string name;
  f >> name;
  EXPECT_EQ(name, "step-000001");
}

TEST(CheckpointIntegrity, AFullDiskFailsAMetricsLineWithTheFileNamed) {
  const std::string run = fresh_dir("metrics");
  LearnerConfig r;
  r.recipe_text = "name: x\n";
  auto log = RunLog::open(run, r, 0, false);
  ASSERT_TRUE(log.ok()) << log.status();
  ASSERT_TRUE((*log)->metrics(0, {{"loss/value", 0.5}, {"x/nan", std::nan("")}}).ok());
  std::ifstream in(run + "/metrics.jsonl");
  nlohmann::json line = nlohmann::json::parse(in);
  EXPECT_TRUE(line.contains("x/nan") && line["x/nan"].is_null()) << "a non-finite value is kept, as null";
  const int code = with_file_size_limit(static_cast<rlim_t>(fs::file_size(run + "/metrics.jsonl") + 64), [&] {
    std::map<std::string, double> mm;
    for (int i = 0; i < 50; ++i) mm["some/metric_" + std::to_string(i)] = i;
    absl::Status st = (*log)->metrics(1, mm);
    if (st.ok()) return 1;
    if (status_text(st).find("metrics.jsonl: write failed at step 1") == std::string::npos) return 2;
    return 0;
  });
  EXPECT_EQ(code, 0) << "1: a failed write said ok; 2: the error did not name the file and step";
}

TEST(RunDir, NamesArePlainNeverPaths) {
  for (const char* bad : {"", ".", "..", "/tmp/x", "a/b", "-x", ".hidden", "a b", "x\n"})
    EXPECT_FALSE(run_name_check(bad).ok()) << "'" << bad << "'";
  for (const char* good : {"quickstart", "smollm2_chain_sum", "run-2.b", "7"})
    EXPECT_TRUE(run_name_check(good).ok()) << good;
  EXPECT_NE(status_text(run_name_check("../x")).find("'.' at position 0"), std::string::npos);
}

TEST(RunDir, FreshDeletesOnlyWhatAscentMade) {
  const std::string base = fresh_dir("fresh");
  const std::string foreign = base + "/photos";
  fs::create_directories(foreign);
  std::ofstream(foreign + "/keep.jpg") << "x";
  absl::Status st = run_dir_remove(foreign);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(status_text(st).find("not made by ascent"), std::string::npos) << st;
  EXPECT_TRUE(fs::exists(foreign + "/keep.jpg"));
  const std::string ours = base + "/run";
  ASSERT_TRUE(run_dir_create(ours).ok());
  std::ofstream(ours + "/metrics.jsonl") << "{}\n";
  ASSERT_TRUE(run_dir_remove(ours).ok());
  EXPECT_FALSE(fs::exists(ours));
  EXPECT_TRUE(run_dir_remove(ours).ok()) << "absent: nothing to do";
}

TEST(RunDir, OneProcessPerRunDirectory) {
  const std::string dir = fresh_dir("lock") + "/run";
  {
    auto first = RunDirLock::acquire(dir);
    ASSERT_TRUE(first.ok()) << first.status();
    auto second = RunDirLock::acquire(dir);  // another open file description: flock refuses it too
    ASSERT_FALSE(second.ok());
    EXPECT_NE(status_text(second.status()).find("pid " + std::to_string(getpid())), std::string::npos)
        << second.status();
    // Another process is refused as well.
    const pid_t pid = fork();
    if (pid == 0) _exit(RunDirLock::acquire(dir).ok() ? 1 : 0);
    int status = 0;
    waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  EXPECT_TRUE(RunDirLock::acquire(dir).ok()) << "released with its holder";
}

}  // namespace
}  // namespace ascent
