#include "proxy/function_merger.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace shardis::proxy {
namespace {

std::string fromHex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

// One library entry as RDB writes a short string: opcode 245, 6-bit length, the code.
std::string entry(std::string_view code) {
  std::string out = "\xf5";
  out.push_back(static_cast<char>(code.size()));
  out.append(code);
  return out;
}

const std::string kTrailer = fromHex("0a00") + std::string(8, '\x11');  // version 10, a CRC

TEST(FunctionMerger, LzfExpandsRunsAndOverlappingCopies) {
  // "abc" as a run, then 6 bytes copied from 3 back: the copy reads what it writes.
  EXPECT_EQ(lzfExpand(std::string_view("\x02"
                                       "abc\x80\x02",
                                       6),
                      9),
            "abcabcabc");
  EXPECT_EQ(lzfExpand(std::string_view("\x02"
                                       "abc\x80\x02",
                                       6),
                      8),
            std::nullopt);  // too long
  EXPECT_EQ(lzfExpand(std::string_view("\x02"
                                       "ab",
                                       3),
                      3),
            std::nullopt);  // run cut short
  EXPECT_EQ(lzfExpand(std::string_view("\x00"
                                       "a\x80\x05",
                                       4),
                      4),
            std::nullopt);  // before start
}

TEST(FunctionMerger, DumpOfRedisExpandsItsCompressedLibrary) {
  // FUNCTION DUMP of redis-server 7.0.15 holding one library, stored LZF-compressed.
  const std::string payload = fromHex(
      "f5c3406240a71f23216c7561206e616d653d6d796c69620a72656469732e72656769737465725f0b66756e63"
      "74696f6e28276d79400b02272c2040066012126b6579732c2061726773292072657475726e204012075b315d"
      "20656e6429e0174a0032e0204b0164290a008b467f65a3b057b8");
  const std::string code =
      "#!lua name=mylib\nredis.register_function('myfunc', function(keys, args) return keys[1] "
      "end)\nredis.register_function('myfunc2', function(keys, args) return keys[1] end)";
  std::optional<std::string> form = canonicalFunctionDump(payload);
  ASSERT_TRUE(form.has_value());
  // The same library stored uncompressed (a 14-bit length) compares equal.
  std::string plain = "\xf5";
  plain.push_back(static_cast<char>(0x40 | (code.size() >> 8)));
  plain.push_back(static_cast<char>(code.size() & 0xff));
  plain += code;
  EXPECT_EQ(canonicalFunctionDump(plain + payload.substr(payload.size() - 10)), form);
}

TEST(FunctionMerger, DumpComparesLibrariesInAnyOrder) {
  std::string ab = entry("#!lua name=a\n") + entry("#!lua name=b\n") + kTrailer;
  std::string ba = entry("#!lua name=b\n") + entry("#!lua name=a\n") + kTrailer;
  std::string a = entry("#!lua name=a\n") + kTrailer;
  ASSERT_TRUE(canonicalFunctionDump(ab).has_value());
  EXPECT_EQ(canonicalFunctionDump(ab), canonicalFunctionDump(ba));
  EXPECT_NE(canonicalFunctionDump(ab), canonicalFunctionDump(a));
  std::string other_version = entry("#!lua name=a\n") + fromHex("0b00") + std::string(8, '\x11');
  EXPECT_NE(canonicalFunctionDump(a), canonicalFunctionDump(other_version));
  EXPECT_EQ(canonicalFunctionDump(kTrailer.substr(1)), std::nullopt);  // too short
  EXPECT_EQ(canonicalFunctionDump("\x01"
                                  "x" +
                                  kTrailer),
            std::nullopt);                                                 // not a library
  EXPECT_EQ(canonicalFunctionDump("\xf5\x30x" + kTrailer), std::nullopt);  // string cut short
}

TEST(FunctionMerger, ListComparesLibrariesAndFunctionsInAnyOrder) {
  auto function = [](std::string_view name) {
    return "*6\r\n$4\r\nname\r\n$" + std::to_string(name.size()) + "\r\n" + std::string(name) +
           "\r\n$11\r\ndescription\r\n$-1\r\n$5\r\nflags\r\n*0\r\n";
  };
  auto library = [&](std::string_view name, std::vector<std::string_view> functions) {
    std::string out = "*6\r\n$12\r\nlibrary_name\r\n$" + std::to_string(name.size()) + "\r\n" +
                      std::string(name) + "\r\n$6\r\nengine\r\n$3\r\nLUA\r\n$9\r\nfunctions\r\n*" +
                      std::to_string(functions.size()) + "\r\n";
    for (std::string_view f : functions) out += function(f);
    return out;
  };
  std::string one = "*2\r\n" + library("a", {"f", "g"}) + library("b", {"h"});
  std::string two = "*2\r\n" + library("b", {"h"}) + library("a", {"g", "f"});
  std::string three = "*2\r\n" + library("b", {"h"}) + library("a", {"g"});
  ASSERT_TRUE(canonicalFunctionList(one).has_value());
  EXPECT_EQ(canonicalFunctionList(one), canonicalFunctionList(two));
  EXPECT_NE(canonicalFunctionList(one), canonicalFunctionList(three));
  EXPECT_EQ(canonicalFunctionList("*0\r\n"), std::string());
  EXPECT_EQ(canonicalFunctionList("$3\r\nabc\r\n"), std::nullopt);
}

}  // namespace
}  // namespace shardis::proxy
