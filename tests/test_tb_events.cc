// TensorBoard event files (learner/tb_events.h): CRC-32C against its published check value, and the file read
// back frame by frame (length, masked CRC of the length, data, masked CRC of the data) into Event protos with
// TensorFlow's field numbers: the file version first, then one summary per call, a resume's SessionLog START.
// (TensorBoard 2.21's EventAccumulator was seen reading these files and purging a killed run's orphaned
// steps; that check needs PyPI and is not run here.)
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "learner/tb_events.h"
#include "proto/tensorboard.pb.h"

namespace ascent {

TEST(TbEvents, Crc32cCheckValue) {
  EXPECT_EQ(crc32c("123456789", 9), 0xE3069283u);  // the CRC catalogue's check value for CRC-32C
  EXPECT_EQ(crc32c("", 0), 0u);
}

TEST(TbEvents, FramesParseBackIntoEvents) {
  const std::string dir = std::filesystem::temp_directory_path() / "ascent_tb_test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::string path;
  {
    auto w = TbEventWriter::open(dir);
    ASSERT_TRUE(w.ok());
    path = w->path();
    ASSERT_TRUE(w->scalars(3, {{"loss/value", -0.25}, {"val/pass_rate", 0.5}}, 100.0).ok());
    w->session_start(4, 101.0);
  }
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string bytes = ss.str();
  std::vector<tensorflow::Event> events;
  size_t at = 0;
  while (at < bytes.size()) {
    ASSERT_LE(at + 12, bytes.size());
    uint64_t len;
    uint32_t len_crc, data_crc;
    std::memcpy(&len, bytes.data() + at, 8);
    std::memcpy(&len_crc, bytes.data() + at + 8, 4);
    ASSERT_EQ(len_crc, crc32c_masked(bytes.data() + at, 8));
    ASSERT_LE(at + 12 + len + 4, bytes.size());
    const std::string data = bytes.substr(at + 12, len);
    std::memcpy(&data_crc, bytes.data() + at + 12 + len, 4);
    ASSERT_EQ(data_crc, crc32c_masked(data.data(), data.size()));
    tensorflow::Event e;
    ASSERT_TRUE(e.ParseFromString(data));
    events.push_back(e);
    at += 12 + len + 4;
  }
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].file_version(), "brain.Event:2");
  EXPECT_EQ(events[1].step(), 3);
  ASSERT_EQ(events[1].summary().value_size(), 2);
  EXPECT_EQ(events[1].summary().value(0).tag(), "loss/value");
  EXPECT_FLOAT_EQ(events[1].summary().value(0).simple_value(), -0.25f);
  EXPECT_EQ(events[2].step(), 4);
  EXPECT_EQ(events[2].session_log().status(), tensorflow::SessionLog::START);
  // Field numbers TensorBoard expects (tensorflow/core/util/event.proto): summary 5, session_log 7.
  EXPECT_EQ(tensorflow::Event::kSummaryFieldNumber, 5);
  EXPECT_EQ(tensorflow::Event::kSessionLogFieldNumber, 7);
  std::filesystem::remove_all(dir);
}

}  // namespace ascent
