// SORT and SORT_RO name keys indirectly: `BY weight_*` and `GET data_*->field` read the keys
// that the pattern makes from each element of the sorted key, on the server that runs the
// SORT. Those keys are not in the request, so the router cannot place them; read on the
// wrong server they come back missing and SORT answers a wrong order or nils without an
// error. As in Redis Cluster, a pattern is allowed only when every key it can make lands on
// the sorted key's server: its text before the '*' holds a complete hash tag that lives
// there. Patterns that read no key (`BY nosort`, any pattern without '*', `GET #`) are free.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "hash/hash_tag.h"
#include "proxy/router.h"

namespace shardis::proxy {

// Empty when `argv` (a SORT or SORT_RO whose keys are on `server`) reads keys only there;
// else the error to answer. Options are read as Redis reads them; at a syntax error the
// check stops and the server answers it.
std::string checkSortPatterns(std::span<const std::string_view> argv, const hash::HashTag& tag,
                              ServerLocator& locator, uint32_t server);

}  // namespace shardis::proxy
