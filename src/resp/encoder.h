#pragma once

// Writers for the replies the proxy builds itself (errors, merged MGET/DEL/SCAN results, local
// commands such as PING and COMMAND) and for the sub-commands a split request sends to each
// server. Each call appends one RESP element to `out`; aggregates are a header followed by
// their elements, appended by the caller.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace shardis::resp {

// The protocol a client chose with HELLO. RESP2 has no null, map, set, push, double or
// verbatim type: the overloads taking a Protocol write those as Redis writes them to a RESP2
// client (a null bulk or null array, an array, a bulk string).
enum class Protocol : uint8_t { kResp2 = 2, kResp3 = 3 };

void appendStatus(std::string& out, std::string_view status);  // "+OK\r\n"
// `message` carries its code: "ERR x" -> "-ERR x\r\n".
void appendError(std::string& out, std::string_view message);
void appendInteger(std::string& out, int64_t value);
void appendBulk(std::string& out, std::string_view value);
void appendNullBulk(std::string& out);   // "$-1\r\n"
void appendNullArray(std::string& out);  // "*-1\r\n"
void appendArrayHeader(std::string& out, size_t count);
void appendMapHeader(std::string& out, size_t pairs);   // RESP3
void appendSetHeader(std::string& out, size_t count);   // RESP3
void appendPushHeader(std::string& out, size_t count);  // RESP3
void appendNull(std::string& out);                      // RESP3 "_\r\n"
// RESP3; written as Redis 7.0 does: %.17g, or inf, -inf, nan.
void appendDouble(std::string& out, double value);
void appendBoolean(std::string& out, bool value);  // RESP3 "#t\r\n" / "#f\r\n"
// RESP3 "=<len>\r\n<format>:<text>\r\n"; `format` is three letters such as "txt".
void appendVerbatim(std::string& out, std::string_view format, std::string_view text);
void appendBigNumber(std::string& out, std::string_view digits);  // RESP3 "(<digits>\r\n"

void appendNullBulk(std::string& out, Protocol protocol);                  // $-1 or _
void appendNullArray(std::string& out, Protocol protocol);                 // *-1 or _
void appendMapHeader(std::string& out, size_t pairs, Protocol protocol);   // *2n or %n
void appendSetHeader(std::string& out, size_t count, Protocol protocol);   // *n or ~n
void appendPushHeader(std::string& out, size_t count, Protocol protocol);  // *n or >n
void appendDouble(std::string& out, double value, Protocol protocol);      // bulk or ,
void appendVerbatim(std::string& out, std::string_view format, std::string_view text,
                    Protocol protocol);  // bulk (the text alone) or =

// "HELLO 2" or "HELLO 3" as a request: what the proxy sends to switch a server connection.
std::string_view helloRequest(Protocol protocol);

// A request as multibulk, for the sub-commands sent to servers.
void appendCommand(std::string& out, std::span<const std::string_view> argv);

}  // namespace shardis::resp
