// The RESP3 bytes of COMMAND INFO and COMMAND DOCS (raw_info3, raw_docs3 and their heads):
// each is one whole RESP3 value, typed as redis-server 7.0 types it for a client that said
// HELLO 3, and says what its RESP2 counterpart says. getkeys_server_test.cc compares them with
// a real server's replies.

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "command/command_table.h"
#include "resp/reply_decoder.h"

namespace shardis::command {
namespace {

// The length of the one whole reply at the start of `raw` (0 when there is none).
size_t replyLength(std::string_view raw) {
  resp::ReplyDecoder decoder;
  if (decoder.decode(raw) != resp::Status::kFrame) return 0;
  return decoder.consumed();
}

std::vector<std::string_view> elements(std::string_view raw) {
  std::vector<std::string_view> out;
  EXPECT_TRUE(resp::arrayElements(raw, out)) << raw.substr(0, 40);
  return out;
}

std::string bulk(std::string_view text) {
  return "$" + std::to_string(text.size()) + "\r\n" + std::string(text) + "\r\n";
}

// "~2\r\n+a\r\n+b\r\n" -> "*2\r\n+a\r\n+b\r\n": a set of strings as RESP2 writes it.
std::string asArray(std::string_view set) {
  std::string array(set);
  if (!array.empty() && array[0] == '~') array[0] = '*';
  return array;
}

template <typename Check>
void forEachSpec(Check check) {
  for (const CommandSpec& spec : allCommands()) {
    check(spec);
    for (const CommandSpec& sub : spec.subcommands) check(sub);
  }
}

TEST(CommandRaw3Bytes, EachIsOneWholeResp3Value) {
  forEachSpec([](const CommandSpec& spec) {
    EXPECT_EQ(replyLength(spec.raw_info3), spec.raw_info3.size()) << spec.name;
    // The docs pair: the name, then its docs map, nothing after.
    const std::string name = bulk(spec.name);
    ASSERT_TRUE(spec.raw_docs3.starts_with(name)) << spec.name;
    std::string_view docs = spec.raw_docs3.substr(name.size());
    EXPECT_EQ(docs[0], '%') << spec.name;
    EXPECT_EQ(replyLength(docs), docs.size()) << spec.name;
  });
}

// Element by element: name, arity, flags (a set), first, last, step, ACL categories (a set),
// tips (a set), key specs (a set of maps), subcommands (an array for a container, else an
// empty set). The scalars are the RESP2 element's, and so are the strings of each set.
TEST(CommandRaw3Bytes, InfoElementIsTypedAsTheServerTypesIt) {
  forEachSpec([](const CommandSpec& spec) {
    const std::vector<std::string_view> resp3 = elements(spec.raw_info3);
    const std::vector<std::string_view> resp2 = elements(spec.raw_info);
    ASSERT_EQ(resp3.size(), 10U) << spec.name;
    ASSERT_EQ(resp2.size(), 10U) << spec.name;
    for (size_t i : {0, 1, 3, 4, 5}) EXPECT_EQ(resp3[i], resp2[i]) << spec.name << " " << i;
    for (size_t i : {2, 6, 7}) {
      EXPECT_EQ(resp3[i][0], '~') << spec.name << " " << i;
      EXPECT_EQ(asArray(resp3[i]), resp2[i]) << spec.name << " " << i;
    }
    EXPECT_EQ(resp3[8][0], '~') << spec.name;
    const std::vector<std::string_view> key_specs = elements(resp3[8]);
    EXPECT_EQ(key_specs.size(), spec.key_specs.size()) << spec.name;
    for (std::string_view key_spec : key_specs) {
      EXPECT_TRUE(key_spec.starts_with("%")) << spec.name;
      // Its flags are a set: "%<n>\r\n$5\r\nflags\r\n~".
      EXPECT_NE(key_spec.find("$5\r\nflags\r\n~"), std::string_view::npos) << spec.name;
    }
    if (spec.isContainer()) {
      EXPECT_EQ(resp3[9][0], '*') << spec.name;
    } else {
      EXPECT_EQ(resp3[9], "~0\r\n") << spec.name;
    }
  });
  EXPECT_EQ(lookup("get")->raw_info3,
            "*10\r\n$3\r\nget\r\n:2\r\n~2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n"
            "~3\r\n+@read\r\n+@string\r\n+@fast\r\n~0\r\n"
            "~1\r\n%3\r\n$5\r\nflags\r\n~2\r\n+RO\r\n+access\r\n"
            "$12\r\nbegin_search\r\n%2\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n"
            "%1\r\n$5\r\nindex\r\n:1\r\n"
            "$9\r\nfind_keys\r\n%2\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n"
            "%3\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n"
            "~0\r\n");
}

// The docs map has the RESP2 docs' fields: as many pairs as RESP2's flat array has halves.
TEST(CommandRaw3Bytes, DocsMapHasTheResp2Fields) {
  forEachSpec([](const CommandSpec& spec) {
    const std::string name = bulk(spec.name);
    std::string_view docs3 = spec.raw_docs3.substr(name.size());
    std::string_view docs2 = spec.raw_docs.substr(name.size());
    ASSERT_EQ(docs2[0], '*') << spec.name;
    const size_t pairs3 = std::stoul(std::string(docs3.substr(1, docs3.find('\r') - 1)));
    const size_t items2 = std::stoul(std::string(docs2.substr(1, docs2.find('\r') - 1)));
    EXPECT_EQ(2 * pairs3, items2) << spec.name;
    // The same strings in the same order, whatever the types around them.
    EXPECT_EQ(docs3.find("$7\r\nsummary\r\n"), docs3.find('\n') + 1) << spec.name;
  });
}

// As CommandRawBytes.ContainerHeadsRebuildTheElement for RESP2: head + header + the chosen
// subcommands' bytes is the server's element with only those subcommands. The INFO header is
// an array in both protocols; the DOCS header a map of name -> docs in RESP3.
TEST(CommandRaw3Bytes, ContainerHeadsRebuildTheElement) {
  for (const CommandSpec& spec : allCommands()) {
    if (!spec.isContainer()) {
      EXPECT_TRUE(spec.raw_info3_head.empty()) << spec.name;
      EXPECT_TRUE(spec.raw_docs3_head.empty()) << spec.name;
      continue;
    }
    std::vector<const CommandSpec*> served;
    for (const CommandSpec& sub : spec.subcommands) {
      if (sub.listed) served.push_back(&sub);
    }
    std::string info =
        std::string(spec.raw_info3_head) + "*" + std::to_string(served.size()) + "\r\n";
    std::string docs =
        std::string(spec.raw_docs3_head) + "%" + std::to_string(served.size()) + "\r\n";
    for (const CommandSpec* sub : served) {
      info += sub->raw_info3;
      docs += sub->raw_docs3;
    }
    EXPECT_EQ(info, spec.raw_info3) << spec.name;
    EXPECT_TRUE(spec.raw_docs3.starts_with(docs)) << spec.name;
  }
}

// Redis 7.2's CLIENT SETINFO / NO-TOUCH, hand-built in 7.0's format (scripts/later_commands.py):
// the same sets and maps as the server's own elements, outside the CLIENT element.
TEST(CommandRaw3Bytes, LaterSubcommandsAreTypedAndUnlisted) {
  const CommandSpec* setinfo = lookup("client|setinfo");
  ASSERT_NE(setinfo, nullptr);
  EXPECT_EQ(setinfo->raw_info3,
            "*10\r\n$14\r\nclient|setinfo\r\n:4\r\n"
            "~4\r\n+noscript\r\n+loading\r\n+stale\r\n+sentinel\r\n:0\r\n:0\r\n:0\r\n"
            "~2\r\n+@slow\r\n+@connection\r\n~0\r\n~0\r\n~0\r\n");
  EXPECT_TRUE(setinfo->raw_docs3.starts_with(bulk("client|setinfo") + "%5\r\n"));
  EXPECT_NE(setinfo->raw_docs3.find("$9\r\narguments\r\n*1\r\n%3\r\n$4\r\nname\r\n$4\r\nattr\r\n"),
            std::string_view::npos);
  EXPECT_NE(setinfo->raw_docs3.find("%3\r\n$4\r\nname\r\n$7\r\nlibname\r\n"),
            std::string_view::npos);
  const CommandSpec* client = lookup("client");
  EXPECT_EQ(client->raw_info3.find("client|setinfo"), std::string_view::npos);
  EXPECT_EQ(client->raw_docs3.find("client|no-touch"), std::string_view::npos);
}

}  // namespace
}  // namespace shardis::command
