#include "proxy/client_state.h"

#include <gtest/gtest.h>

namespace shardis::proxy {
namespace {

TEST(ClientState, SkipSilencesOneRequestOffSilencesUntilOn) {
  ClientState client;
  EXPECT_FALSE(client.takeReplySilence());
  client.reply_mode = ReplyMode::kSkip;
  EXPECT_TRUE(client.takeReplySilence());
  EXPECT_FALSE(client.takeReplySilence());
  client.reply_mode = ReplyMode::kOff;
  EXPECT_TRUE(client.takeReplySilence());
  EXPECT_TRUE(client.takeReplySilence());
}

TEST(ClientState, ResetIsAFreshConnectionExceptItsId) {
  ClientState client;
  client.id = 7;
  client.authenticated = true;
  client.name = "worker";
  client.reply_mode = ReplyMode::kOff;
  client.mode = SessionMode::kSubscribed;
  client.reset(false);
  EXPECT_EQ(client.id, 7u);
  EXPECT_FALSE(client.authenticated);
  EXPECT_TRUE(client.name.empty());
  EXPECT_EQ(client.reply_mode, ReplyMode::kOn);
  EXPECT_EQ(client.mode, SessionMode::kNormal);
  client.reset(true);  // a pool without a password
  EXPECT_TRUE(client.authenticated);
}

}  // namespace
}  // namespace shardis::proxy
