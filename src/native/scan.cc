// The native reader: one byte range of a plain Apache/nginx-family log file read into a per-client table.
//
// It is the same algorithm as the JavaScript reader, step for step (src/logs/parse.ts scanClfLine,
// src/logs/read.ts readLogs, src/features/aggregate.ts ClientTable.add, sketch.ts, timeline.ts), and hands
// its table back in the packed form that ClientAggregate.unpack reads. Addresses other than a plain dotted
// quad are resolved by a JavaScript callback (canonicalAddress + clientKey, with ipaddr.js), once per
// distinct spelling, so that both readers judge every address the same way. test/native/scan.test.ts holds
// the two readers to the same output on real and generated logs; change both together.
#include <node_api.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fcntl.h>
#include <limits>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <memory>
#include <string>
#include <string_view>
#include <unistd.h>
#include <unordered_map>
#include <vector>

namespace {

constexpr uint8_t SPACE = 0x20, QUOTE = 0x22, BACKSLASH = 0x5c, LBRACKET = 0x5b, RBRACKET = 0x5d, QMARK = 0x3f,
                  DASH = 0x2d, NL = 0x0a, CR = 0x0d;
constexpr uint32_t FNV_OFFSET = 0x811c9dc5u, FNV_PRIME = 0x01000193u;
constexpr int MAX_SAMPLES = 5;
constexpr size_t SAMPLE_CHARS = 400;
constexpr size_t MALFORMED_CHARS = 300;
constexpr int64_t TIMELINE_FROM = 5;
constexpr int EXACT_LIMIT = 64;
constexpr int HLL_P = 8;
constexpr int HLL_M = 1 << HLL_P;
constexpr size_t PAD = 64;  // zero bytes after the data: scans that look a few bytes ahead stay in bounds

enum Method { GET = 0, POST = 1, HEAD = 2, OTHER = 3, INVALID = 4 };
constexpr int PATH_STATIC = 1, PATH_SENSITIVE = 2;

// hashBytes in parse.ts: FNV-1a's multiply on little-endian 32-bit words, then a final mix; never 0.
inline int32_t hashBytes(const uint8_t* buf, size_t start, size_t end) {
  uint32_t h = FNV_OFFSET ^ static_cast<uint32_t>(end - start);
  size_t i = start;
  for (; i + 4 <= end; i += 4) {
    uint32_t w = uint32_t(buf[i]) | (uint32_t(buf[i + 1]) << 8) | (uint32_t(buf[i + 2]) << 16) | (uint32_t(buf[i + 3]) << 24);
    h = (h ^ w) * FNV_PRIME;
    h ^= h >> 15;
  }
  for (; i < end; i++) h = (h ^ buf[i]) * FNV_PRIME;
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  int32_t r = static_cast<int32_t>(h);
  return r ? r : 1;
}

// DistinctCounter in sketch.ts: exact up to EXACT_LIMIT values, then HyperLogLog with 256 registers.
inline uint32_t mix(uint32_t h) {
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  h *= 0xc2b2ae35u;
  h ^= h >> 16;
  return h;
}

struct Distinct {
  int32_t last = 0;
  std::vector<int32_t> exact;
  std::unique_ptr<uint8_t[]> regs;

  void toRegisters(int32_t hash) {
    uint32_t h = mix(static_cast<uint32_t>(hash));
    uint32_t idx = h >> (32 - HLL_P);
    uint32_t x = (h << HLL_P) | (1u << (HLL_P - 1));
    int rank = __builtin_clz(x) + 1;
    if (rank > 32 - HLL_P + 1) rank = 32 - HLL_P + 1;
    if (rank > regs[idx]) regs[idx] = static_cast<uint8_t>(rank);
  }

  void add(int32_t hash) {
    if (hash == last) return;
    last = hash;
    if (regs) {
      toRegisters(hash);
      return;
    }
    for (int32_t v : exact)
      if (v == hash) return;
    if (static_cast<int>(exact.size()) == EXACT_LIMIT) {
      regs.reset(new uint8_t[HLL_M]());
      for (int32_t v : exact) toRegisters(v);
      std::vector<int32_t>().swap(exact);
      toRegisters(hash);
      return;
    }
    if (exact.capacity() == exact.size()) exact.reserve(std::min<size_t>(EXACT_LIMIT, std::max<size_t>(4, exact.size() * 2)));
    exact.push_back(hash);
  }

  void merge(const Distinct& o) {
    if (!o.regs) {
      for (int32_t v : o.exact) add(v);
      return;
    }
    if (!regs) {
      regs.reset(new uint8_t[HLL_M]());
      for (int32_t v : exact) toRegisters(v);
      std::vector<int32_t>().swap(exact);
    }
    for (int i = 0; i < HLL_M; i++)
      if (o.regs[i] > regs[i]) regs[i] = o.regs[i];
  }

  void pack(std::vector<int32_t>& out) const {
    out.push_back(last);
    if (regs) {
      out.push_back(-1);
      for (int i = 0; i < HLL_M; i += 4)
        out.push_back(static_cast<int32_t>(uint32_t(regs[i]) | (uint32_t(regs[i + 1]) << 8) | (uint32_t(regs[i + 2]) << 16) |
                                           (uint32_t(regs[i + 3]) << 24)));
    } else {
      out.push_back(static_cast<int32_t>(exact.size()));
      out.insert(out.end(), exact.begin(), exact.end());
    }
  }
};

// Timeline in timeline.ts: `buckets` counters whose width in minutes doubles when a minute falls past the end.
struct Timeline {
  int32_t start = -1;
  int32_t width = 1;
  std::vector<uint32_t> counts;
  explicit Timeline(size_t buckets) : counts(buckets, 0) {}

  void coarsen() {
    const int32_t w = width * 2;
    const int32_t s = start - (start % w);
    std::vector<uint32_t> next(counts.size(), 0);
    for (size_t i = 0; i < counts.size(); i++) {
      uint32_t c = counts[i];
      if (c) next[(start + static_cast<int32_t>(i) * width - s) / w] += c;
    }
    counts.swap(next);
    start = s;
    width = w;
  }

  void merge(const Timeline& o) {
    if (o.start < 0) return;
    for (size_t i = 0; i < o.counts.size(); i++)
      if (o.counts[i]) add(o.start + static_cast<int32_t>(i) * o.width, o.counts[i]);
  }

  void add(int32_t minute, uint32_t n = 1) {
    if (start < 0) start = minute - (minute % width);
    if (minute < start) minute = start;
    while (static_cast<int64_t>(minute) >= static_cast<int64_t>(start) + static_cast<int64_t>(width) * static_cast<int64_t>(counts.size())) coarsen();
    counts[(minute - start) / width] += n;
  }
};

struct Client {
  std::string key;
  double requests = 0, post = 0, otherMethod = 0, invalidRequest = 0, status2xx = 0, status3xx = 0, status4xx = 0,
         status404 = 0, status5xx = 0, staticHits = 0, sensitiveHits = 0, withQuery = 0, bytes = 0;
  double firstTime = std::numeric_limits<double>::infinity();
  double lastTime = -std::numeric_limits<double>::infinity();
  double peakPerMinute = 0;
  int32_t telling = 0;
  int32_t m0 = -1, m1 = -1, m2 = -1, c0 = 0, c1 = 0, c2 = 0;
  int32_t firstMinute = -1, firstMinuteCount = 0;
  Distinct paths, queries, agents;
  // Sample lines are kept as places in the file (read back only for the clients that need them, see
  // SampleStore in aggregate.ts), with a hash to check that the file still holds them.
  struct SampleRef {
    double offset;
    uint32_t length;
    int32_t hash;
    int32_t file;  // index into the paths of the readRanges call
  };
  SampleRef samples[MAX_SAMPLES];
  int32_t sampleCount = 0;
  std::unique_ptr<Timeline> timeline;

  void countMinute(int32_t minute) {
    if (firstMinute < 0) firstMinute = minute;
    if (minute == firstMinute) firstMinuteCount++;
    int32_t c;
    if (minute == m0) c = ++c0;
    else if (minute == m1) c = ++c1;
    else if (minute == m2) c = ++c2;
    else if (m0 <= m1 && m0 <= m2) {
      m0 = minute;
      c = c0 = 1;
    } else if (m1 <= m2) {
      m1 = minute;
      c = c1 = 1;
    } else {
      m2 = minute;
      c = c2 = 1;
    }
    if (c > peakPerMinute) peakPerMinute = c;
  }

  int32_t slotCount(int32_t minute) const {
    return minute == m0 ? c0 : minute == m1 ? c1 : minute == m2 ? c2 : -1;
  }

  // ClientAggregate.merge: `o` is the same client in the next stretch of the log.
  void merge(Client& o) {
    const double mineBefore = requests;
    const double myFirstTime = firstTime;
    requests += o.requests;
    post += o.post;
    otherMethod += o.otherMethod;
    invalidRequest += o.invalidRequest;
    status2xx += o.status2xx;
    status3xx += o.status3xx;
    status4xx += o.status4xx;
    status404 += o.status404;
    status5xx += o.status5xx;
    staticHits += o.staticHits;
    sensitiveHits += o.sensitiveHits;
    withQuery += o.withQuery;
    bytes += o.bytes;
    firstTime = std::min(firstTime, o.firstTime);
    lastTime = std::max(lastTime, o.lastTime);
    peakPerMinute = std::max(peakPerMinute, o.peakPerMinute);
    const int32_t shared = o.firstMinute >= 0 ? slotCount(o.firstMinute) : -1;
    const int32_t carried = std::max(0, shared);
    if (shared >= 0) peakPerMinute = std::max(peakPerMinute, double(carried + o.firstMinuteCount));
    if (firstMinute < 0) {
      firstMinute = o.firstMinute;
      firstMinuteCount = o.firstMinuteCount;
    }
    if (o.firstMinute >= 0) {
      m0 = o.m0;
      m1 = o.m1;
      m2 = o.m2;
      c0 = o.c0 + (o.m0 == o.firstMinute ? carried : 0);
      c1 = o.c1 + (o.m1 == o.firstMinute ? carried : 0);
      c2 = o.c2 + (o.m2 == o.firstMinute ? carried : 0);
    }
    paths.merge(o.paths);
    queries.merge(o.queries);
    agents.merge(o.agents);
    for (int32_t k = 0; k < o.sampleCount && sampleCount < MAX_SAMPLES; k++) samples[sampleCount++] = o.samples[k];
    if (o.timeline || timeline || requests >= TIMELINE_FROM) {
      if (!timeline) {
        timeline.reset(new Timeline(48));
        if (mineBefore > 0) timeline->add(static_cast<int32_t>(std::floor(myFirstTime / 60000.0)), static_cast<uint32_t>(mineBefore));
      }
      if (o.timeline) timeline->merge(*o.timeline);
      else if (o.requests > 0) timeline->add(static_cast<int32_t>(std::floor(o.firstTime / 60000.0)), static_cast<uint32_t>(o.requests));
    }
  }

  // `at` is the file offset of line[start].
  void keepSample(const uint8_t* line, size_t start, size_t end, double at, int32_t file, bool tell) {
    const bool full = sampleCount >= MAX_SAMPLES;
    if (full && (!tell || telling >= MAX_SAMPLES)) return;
    const size_t len = std::min(end, start + SAMPLE_CHARS) - start;
    const SampleRef ref{at, static_cast<uint32_t>(len), hashBytes(line, start, start + len), file};
    if (full) samples[telling++] = ref;
    else if (tell) {
      for (int32_t k = sampleCount; k > telling; k--) samples[k] = samples[k - 1];
      samples[telling++] = ref;
      sampleCount++;
    } else samples[sampleCount++] = ref;
  }
};

// The numeric fields in the order of nums (ClientAggregate.unpack reads them by name).
const char* const NUMERIC_FIELDS[] = {"requests", "post", "otherMethod", "invalidRequest", "status2xx", "status3xx",
                                      "status4xx", "status404", "status5xx", "staticHits", "sensitiveHits", "withQuery",
                                      "bytes", "firstTime", "lastTime", "peakPerMinute", "telling", "m0", "m1", "m2",
                                      "c0", "c1", "c2", "firstMinute", "firstMinuteCount"};
constexpr size_t FIELD_COUNT = sizeof(NUMERIC_FIELDS) / sizeof(NUMERIC_FIELDS[0]);

void packNumbers(const Client& c, double* o) {
  const double v[FIELD_COUNT] = {c.requests, c.post, c.otherMethod, c.invalidRequest, c.status2xx, c.status3xx,
                                 c.status4xx, c.status404, c.status5xx, c.staticHits, c.sensitiveHits, c.withQuery,
                                 c.bytes, c.firstTime, c.lastTime, c.peakPerMinute, double(c.telling), double(c.m0),
                                 double(c.m1), double(c.m2), double(c.c0), double(c.c1), double(c.c2),
                                 double(c.firstMinute), double(c.firstMinuteCount)};
  std::memcpy(o, v, sizeof v);
}

// The path classes (classify.ts): patterns and extensions come from JavaScript, so there is one list.
struct Classes {
  std::vector<std::string> sensitive;
  std::vector<std::string> staticExt;
};

int classifyPath(const Classes& cls, const uint8_t* p, size_t len) {
  std::string lower(reinterpret_cast<const char*>(p), len);
  // Only ASCII letters matter: every pattern is ASCII, and no Latin-1 letter lower-cases into ASCII.
  for (auto& ch : lower)
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch + 32);
  int flags = 0;
  for (const auto& pat : cls.sensitive) {
    if (lower.find(pat) != std::string::npos) {
      flags |= PATH_SENSITIVE;
      break;
    }
  }
  const size_t dot = lower.rfind('.');
  const size_t slash = lower.rfind('/');
  const bool dotAfterSlash = dot != std::string::npos && (slash == std::string::npos || dot > slash);
  if (dotAfterSlash) {
    std::string_view ext(lower.data() + dot + 1, lower.size() - dot - 1);
    for (const auto& e : cls.staticExt)
      if (ext == e) {
        flags |= PATH_STATIC;
        break;
      }
  }
  return flags;
}

// PathClassifier in classify.ts: a bounded cache of classes by path hash, cleared when full.
struct PathCache {
  static constexpr int LIMIT = 1 << 16;
  static constexpr int BITS = 17;
  std::vector<int32_t> keys = std::vector<int32_t>(1 << BITS, 0);
  std::vector<int8_t> values = std::vector<int8_t>(1 << BITS, 0);
  int size = 0;

  inline uint32_t slot(int32_t hash) const { return (static_cast<uint32_t>(hash) * 0x9e3779b1u) >> (32 - BITS); }

  int cached(int32_t hash) const {
    const uint32_t mask = (1u << BITS) - 1;
    for (uint32_t h = slot(hash);; h = (h + 1) & mask) {
      const int8_t v = values[h];
      if (v == 0) return -1;
      if (keys[h] == hash) return v - 1;
    }
  }

  void put(int32_t hash, int flags) {
    if (size >= LIMIT) {
      std::fill(values.begin(), values.end(), 0);
      size = 0;
    }
    const uint32_t mask = (1u << BITS) - 1;
    uint32_t h = slot(hash);
    while (values[h] != 0) h = (h + 1) & mask;
    keys[h] = hash;
    values[h] = static_cast<int8_t>(flags + 1);
    size++;
  }
};

struct Record {
  bool isIp4 = false;
  uint32_t ip4 = 0;
  size_t ipStart = 0, ipEnd = 0;
  double time = 0;
  int32_t minute = 0;
  int32_t tzOffset = 0;
  Method method = INVALID;
  size_t pathStart = 0, pathEnd = 0;
  int32_t pathHash = 0, queryHash = 0, agentHash = 0;
  double status = 0, bytes = 0;
};

// parseClfTime's cache of the last calendar day.
struct DayCache {
  int day = -1, month = -1, year = -1;
  double dayMs = 0;
};

// Days since 1970-01-01 of a proleptic Gregorian date; day may run past the month, as Date.UTC allows.
int64_t daysFromCivil(int64_t y, int64_t m /* 1..12 */, int64_t d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468 + (d - 1);
}

inline int two(const uint8_t* b, size_t p) {
  const int a = int(b[p]) - 0x30, c = int(b[p + 1]) - 0x30;
  return a >= 0 && a <= 9 && c >= 0 && c <= 9 ? a * 10 + c : -1;
}

int monthOf(uint8_t a, uint8_t b, uint8_t c) {
  static const char* names[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (int i = 0; i < 12; i++)
    if (a == uint8_t(names[i][0]) && b == uint8_t(names[i][1]) && c == uint8_t(names[i][2])) return i;
  return -1;
}

bool parseClfTime(const uint8_t* b, size_t pos, Record& rec, DayCache& dc) {
  const int day = two(b, pos);
  if (day < 1 || day > 31 || b[pos + 2] != 0x2f) return false;
  const uint8_t m0 = b[pos + 3], m1 = b[pos + 4], m2 = b[pos + 5];
  if (b[pos + 6] != 0x2f) return false;
  const int y1 = two(b, pos + 7), y2 = two(b, pos + 9);
  if (y1 < 0 || y2 < 0 || b[pos + 11] != 0x3a) return false;
  const int hh = two(b, pos + 12);
  if (hh < 0 || hh > 23 || b[pos + 14] != 0x3a) return false;
  const int mm = two(b, pos + 15);
  if (mm < 0 || mm > 59 || b[pos + 17] != 0x3a) return false;
  const int ss = two(b, pos + 18);
  if (ss < 0 || ss > 60 || b[pos + 20] != SPACE) return false;
  const uint8_t sign = b[pos + 21];
  if (sign != 0x2b && sign != DASH) return false;
  const int tzh = two(b, pos + 22), tzm = two(b, pos + 24);
  if (tzh < 0 || tzm < 0) return false;
  const int year = y1 * 100 + y2;
  const int monthCode = (int(m0) << 16) | (int(m1) << 8) | int(m2);
  if (day != dc.day || monthCode != dc.month || year != dc.year) {
    const int month = monthOf(m0, m1, m2);
    if (month < 0 || year < 1970) return false;
    dc.day = day;
    dc.month = monthCode;
    dc.year = year;
    dc.dayMs = double(daysFromCivil(year, month + 1, day)) * 86400000.0;
  }
  const int offset = (sign == DASH ? -1 : 1) * (tzh * 60 + tzm);
  const int minuteOfDay = hh * 60 + mm - offset;
  rec.tzOffset = offset;
  rec.minute = static_cast<int32_t>(dc.dayMs / 60000.0) + minuteOfDay;
  rec.time = dc.dayMs + double(minuteOfDay) * 60000.0 + double(ss) * 1000.0;
  return true;
}

Method methodOf(const uint8_t* b, size_t start, size_t len) {
  if (len == 3 && b[start] == 'G' && b[start + 1] == 'E' && b[start + 2] == 'T') return GET;
  if (len == 4 && b[start] == 'P' && b[start + 1] == 'O' && b[start + 2] == 'S' && b[start + 3] == 'T') return POST;
  if (len == 4 && b[start] == 'H' && b[start + 1] == 'E' && b[start + 2] == 'A' && b[start + 3] == 'D') return HEAD;
  for (size_t i = start; i < start + len; i++)
    if (b[i] < 0x41 || b[i] > 0x5a) return INVALID;
  return len > 0 && len <= 20 ? OTHER : INVALID;
}

// 1 when the quote at q is escaped (an odd number of backslashes before it).
inline int escapes(const uint8_t* b, size_t q) {
  size_t n = 0;
  while (q > n && b[q - n - 1] == BACKSLASH) n++;
  return static_cast<int>(n & 1);
}

// closingQuote in parse.ts: the unescaped quote in [from, nl), or -1.
inline long closingQuote(const uint8_t* b, size_t from, size_t nl) {
  for (;;) {
    if (from >= nl) return -1;
    const void* f = std::memchr(b + from, QUOTE, nl - from);
    if (!f) return -1;
    const size_t q = static_cast<const uint8_t*>(f) - b;
    if (b[q - 1] != BACKSLASH) return static_cast<long>(q);
    size_t n = 1;
    while (q - n - 1 >= from && q >= n + 1 && b[q - n - 1] == BACKSLASH) n++;
    if ((n & 1) == 0) return static_cast<long>(q);
    from = q + 1;
  }
}

inline bool isHttpVersion(const uint8_t* b, size_t p) {
  const int d1 = int(b[p + 5]) - 0x30, d2 = int(b[p + 7]) - 0x30;
  return b[p] == 'H' && b[p + 1] == 'T' && b[p + 2] == 'T' && b[p + 3] == 'P' && b[p + 4] == '/' && b[p + 6] == '.' &&
         d1 >= 0 && d1 <= 9 && d2 >= 0 && d2 <= 9;
}

// The digits at b[i] as a number, i moved past them: in integers while exact (as JavaScript's doubles are
// below 2^53), then in doubles digit by digit as parse.ts does.
inline double readNumber(const uint8_t* b, size_t& i) {
  uint64_t v = 0;
  int n = 0;
  int d;
  while (n < 15 && (d = int(b[i]) - 0x30) >= 0 && d <= 9) {
    v = v * 10 + uint64_t(d);
    i++;
    n++;
  }
  double x = double(v);
  while ((d = int(b[i]) - 0x30) >= 0 && d <= 9) {
    x = x * 10 + d;
    i++;
  }
  return x;
}

// scanClfLine in parse.ts. `nl` is the newline that ends the line starting at pos. Returns false when malformed.
bool scanLine(const uint8_t* b, size_t pos, size_t nl, int leadingFields, bool requiresAgent, Record& rec, DayCache& dc) {
  size_t i = pos;
  uint8_t c = 0;
  for (int f = 0; f < leadingFields; f++) {
    while ((c = b[i]) != SPACE) {
      if (c == NL) return false;
      i++;
    }
    i++;
  }
  const size_t ipStart = i;
  uint32_t packed = 0;
  uint32_t octet = 0;
  int digits = 0, dots = 0;
  bool plain = true;
  // Most clients are a plain dotted quad followed by a space: read one as such, octet by octet; anything
  // else (IPv6, odd spellings, junk) goes through the general loop below from the start of the field.
  bool quad = true;
  for (int o = 0; o < 4 && quad; o++) {
    const int d0 = int(b[i]) - 0x30;
    if (d0 < 0 || d0 > 9) {
      quad = false;
      break;
    }
    uint32_t v = d0;
    int n = 1;
    int d;
    while (n < 3 && (d = int(b[i + n]) - 0x30) >= 0 && d <= 9) {
      v = v * 10 + d;
      n++;
    }
    const uint8_t after = b[i + n];
    if ((n > 1 && d0 == 0) || v > 255 || after != (o < 3 ? 0x2e : SPACE)) quad = false;
    packed = (packed << 8) | v;
    i += n + 1;
  }
  if (quad) {
    i--;  // at the space
    dots = 3;
    octet = packed & 255;
    packed >>= 8;
    digits = 1;
  } else {
    i = ipStart;
    packed = 0;
  }
  for (; !quad;) {
    c = b[i];
    if (c == SPACE) break;
    if (c == NL) return false;
    const int d = int(c) - 0x30;
    if (d >= 0 && d <= 9) {
      if (digits > 0 && octet == 0) plain = false;
      if (octet < 100000) octet = octet * 10 + d;  // large values are not plain anyway
      digits++;
    } else if (c == 0x2e) {
      if (digits == 0 || octet > 255) plain = false;
      packed = (packed << 8) | (octet & 0xffffffffu);
      octet = 0;
      digits = 0;
      dots++;
    } else plain = false;
    i++;
  }
  const size_t ipEnd = i;
  if (ipEnd == ipStart || ipEnd - ipStart > 45) return false;
  const bool isIp4 = plain && dots == 3 && digits > 0 && digits <= 3 && octet <= 255;
  while ((c = b[i]) != LBRACKET) {
    if (c == NL) return false;
    i++;
  }
  if (b[i - 1] != SPACE || nl - i < 28 || !parseClfTime(b, i + 1, rec, dc)) return false;
  i += 27;
  if (b[i] != RBRACKET || b[i + 1] != SPACE || b[i + 2] != QUOTE) return false;
  const size_t reqStart = i + 3;
  i = reqStart;
  for (;;) {
    c = b[i];
    if (c == SPACE || c == NL || (c == QUOTE && escapes(b, i) == 0)) break;
    i++;
  }
  long reqEnd = -1;
  long sp1 = -1, qm = -1;
  size_t targetEnd = 0;
  if (c == SPACE) {
    sp1 = static_cast<long>(i);
    for (i++;; i++) {
      c = b[i];
      if (c == SPACE) break;
      if (c == QMARK) {
        if (qm < 0) qm = static_cast<long>(i);
      } else if (c == QUOTE) {
        if (escapes(b, i) == 0) {
          reqEnd = static_cast<long>(i);
          break;
        }
      } else if (c == NL) return false;
    }
    targetEnd = i;
    if (reqEnd < 0) {
      if (isHttpVersion(b, i + 1) && b[i + 9] == QUOTE) reqEnd = static_cast<long>(i + 9);
      else reqEnd = closingQuote(b, i + 1, nl);
    }
  } else reqEnd = c == QUOTE ? static_cast<long>(i) : -1;
  if (reqEnd < 0 || b[reqEnd + 1] != SPACE) return false;
  i = static_cast<size_t>(reqEnd) + 2;
  double status = 0;
  if (b[i] == DASH) i++;
  else {
    const size_t from = i;
    status = readNumber(b, i);
    if (i == from || status > 999) return false;
  }
  if (b[i] != SPACE) return false;
  i++;
  double bytes = 0;
  if (b[i] == DASH) i++;
  else {
    const size_t from = i;
    bytes = readNumber(b, i);
    if (i == from) return false;
  }
  c = b[i];
  const bool atEnd = c == NL || (c == CR && i + 1 == nl);
  if (!atEnd && c != SPACE) return false;
  int32_t agentHash = 0;
  if (requiresAgent) {
    if (atEnd || b[i + 1] != QUOTE) return false;
    const long refEnd = b[i + 2] == DASH && b[i + 3] == QUOTE ? static_cast<long>(i + 3) : closingQuote(b, i + 2, nl);
    if (refEnd < 0 || b[refEnd + 1] != SPACE || b[refEnd + 2] != QUOTE) return false;
    const size_t uaStart = static_cast<size_t>(refEnd) + 3;
    const long uaEnd = closingQuote(b, uaStart, nl);
    if (uaEnd < 0) return false;
    const size_t len = static_cast<size_t>(uaEnd) - uaStart;
    if (len > 0 && !(len == 1 && b[uaStart] == DASH)) {
      if (len <= 64) agentHash = hashBytes(b, uaStart, static_cast<size_t>(uaEnd));
      else {
        const uint32_t head = static_cast<uint32_t>(hashBytes(b, uaStart, uaStart + 32));
        const uint32_t tail = static_cast<uint32_t>(hashBytes(b, static_cast<size_t>(uaEnd) - 32, static_cast<size_t>(uaEnd)));
        const int32_t h = static_cast<int32_t>(head ^ (tail * 0x9e3779b1u) ^ static_cast<uint32_t>(len));
        agentHash = h ? h : 1;
      }
    }
  }
  rec.status = status;
  rec.bytes = bytes;
  rec.agentHash = agentHash;
  rec.isIp4 = isIp4;
  rec.ip4 = isIp4 ? (packed << 8) | octet : 0;
  rec.ipStart = ipStart;
  rec.ipEnd = ipEnd;
  if (sp1 < 0) {
    rec.method = INVALID;
    rec.pathStart = rec.pathEnd = 0;
    rec.pathHash = hashBytes(b, reqStart, static_cast<size_t>(reqEnd));
    rec.queryHash = 0;
  } else {
    rec.method = methodOf(b, reqStart, static_cast<size_t>(sp1) - reqStart);
    const size_t pathEnd = qm < 0 ? targetEnd : static_cast<size_t>(qm);
    rec.pathStart = static_cast<size_t>(sp1) + 1;
    rec.pathEnd = pathEnd;
    rec.pathHash = hashBytes(b, rec.pathStart, pathEnd);
    rec.queryHash = pathEnd < targetEnd ? hashBytes(b, rec.pathStart, targetEnd) : 0;
  }
  return true;
}

struct Options {
  int leadingFields = 0;
  bool requiresAgent = true;
  size_t maxLine = 1 << 20;
  size_t maxMalformedSamples = 10;
};

struct Malformed {
  double line;
  std::string bytes;
};

// Decides what client an address spelled other than as a plain dotted quad belongs to: JavaScript does
// (canonicalAddress + clientKey), on the thread that runs it; reader threads ask that thread through a
// thread-safe function (TsfnResolver).
struct Resolver {
  virtual ~Resolver() = default;
  // True with the client key when `raw` is an address.
  virtual bool resolve(std::string_view raw, std::string& key) = 0;
};

// Reader threads ask the JavaScript thread through a thread-safe function and wait for its answer.
struct ResolveRequest {
  std::string_view raw;
  std::string key;
  bool ok = false;
  bool done = false;
  std::mutex m;
  std::condition_variable cv;
};

struct TsfnResolver : Resolver {
  napi_threadsafe_function tsfn;
  explicit TsfnResolver(napi_threadsafe_function f) : tsfn(f) {}
  bool resolve(std::string_view raw, std::string& key) override {
    ResolveRequest r;
    r.raw = raw;
    if (napi_call_threadsafe_function(tsfn, &r, napi_tsfn_blocking) != napi_ok) return false;
    std::unique_lock<std::mutex> lock(r.m);
    r.cv.wait(lock, [&] { return r.done; });
    key = std::move(r.key);
    return r.ok;
  }
};

// ClientTable in aggregate.ts, for one range.
class Table {
 public:
  Table(Resolver& resolver, const Classes& cls) : overall(720), resolver_(resolver), cls_(cls) {}

  std::vector<std::unique_ptr<Client>> clients;  // in order of first appearance
  Timeline overall;
  double badAddressLines = 0;
  int32_t fileIndex = 0;  // of the file being read, for sample lines

  // ClientTable.merge: `o` is the table of the next stretch of the log.
  void merge(Table& o) {
    for (auto& oc : o.clients) {
      auto it = byKey_.find(oc->key);
      if (it != byKey_.end()) clients[it->second]->merge(*oc);
      else {
        byKey_.emplace(oc->key, static_cast<int32_t>(clients.size()));
        clients.push_back(std::move(oc));
      }
    }
    o.clients.clear();
    badAddressLines += o.badAddressLines;
    overall.merge(o.overall);
  }

  // The client of a parsed line, or null when its client field is not an address.
  inline Client* lookup(const Record& rec, const uint8_t* b) {
    return rec.isIp4 ? lookupIp4(rec.ip4) : lookupRaw(b + rec.ipStart, rec.ipEnd - rec.ipStart);
  }

  // Adds a parsed line to its client (lookup's result); false when there is none.
  // `base` is the file offset of b[0].
  bool add(Client* c, const Record& rec, const uint8_t* b, double base, size_t start, size_t end) {
    if (!c) {
      badAddressLines++;
      return false;
    }
    c->requests++;
    if (rec.method == POST) c->post++;
    else if (rec.method == OTHER) c->otherMethod++;
    else if (rec.method == INVALID) c->invalidRequest++;
    const double s = rec.status;
    if (s >= 400 && s < 500) {
      c->status4xx++;
      if (s == 404) c->status404++;
    } else if (s >= 500 && s < 600) c->status5xx++;
    else if (s >= 200 && s < 300) c->status2xx++;
    else if (s >= 300 && s < 400) c->status3xx++;
    int flags = pathCache_.cached(rec.pathHash);
    if (flags < 0) {
      flags = classifyPath(cls_, b + rec.pathStart, rec.pathEnd - rec.pathStart);
      pathCache_.put(rec.pathHash, flags);
    }
    if (flags & PATH_STATIC) c->staticHits++;
    if (flags & PATH_SENSITIVE) c->sensitiveHits++;
    c->paths.add(rec.pathHash);
    if (rec.queryHash != 0) {
      c->withQuery++;
      c->queries.add(rec.queryHash);
    }
    if (rec.agentHash != 0) c->agents.add(rec.agentHash);
    c->bytes += rec.bytes;
    if (rec.time < c->firstTime) c->firstTime = rec.time;
    if (rec.time > c->lastTime) c->lastTime = rec.time;
    c->countMinute(rec.minute);
    overall.add(rec.minute);
    if (c->timeline) c->timeline->add(rec.minute);
    else if (c->requests >= TIMELINE_FROM) {
      c->timeline.reset(new Timeline(48));
      c->timeline->add(static_cast<int32_t>(std::floor(c->firstTime / 60000.0)), static_cast<uint32_t>(c->requests - 1));
      c->timeline->add(rec.minute);
    }
    const bool tell = (flags & PATH_SENSITIVE) != 0 || s >= 400 || rec.method == POST || rec.method == INVALID;
    if (c->sampleCount < MAX_SAMPLES || tell) c->keepSample(b, start, end, base + double(start), fileIndex, tell);
    return true;
  }

 private:
  Resolver& resolver_;
  const Classes& cls_;
  PathCache pathCache_;
  std::unordered_map<std::string, int32_t> byKey_;
  // Plain dotted quads by value: open addressing into `clients`.
  std::vector<uint32_t> ip4Keys_ = std::vector<uint32_t>(1 << 12, 0);
  std::vector<int32_t> ip4Slots_ = std::vector<int32_t>(1 << 12, -1);
  size_t ip4Count_ = 0;
  int ip4Shift_ = 20;
  // Other spellings by their raw bytes (views into rawStore_), to a client index or -1 (not an address).
  std::deque<std::string> rawStore_;
  std::unordered_map<std::string_view, int32_t> byRaw_;

  // The index of the client with this key, made when there is none.
  int32_t byKeyOrNew(std::string key) {
    auto it = byKey_.find(key);
    if (it != byKey_.end()) return it->second;
    const int32_t idx = static_cast<int32_t>(clients.size());
    auto c = std::make_unique<Client>();
    c->key = key;
    clients.push_back(std::move(c));
    byKey_.emplace(std::move(key), idx);
    return idx;
  }

  Client* lookupIp4(uint32_t ip) {
    const size_t mask = ip4Keys_.size() - 1;
    size_t h = (ip * 0x9e3779b1u) >> ip4Shift_;
    for (;; h = (h + 1) & mask) {
      const int32_t slot = ip4Slots_[h];
      if (slot < 0) break;
      if (ip4Keys_[h] == ip) return clients[slot].get();
    }
    char key[16];
    const int n = std::snprintf(key, sizeof key, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
    const int32_t idx = byKeyOrNew(std::string(key, n));
    ip4Keys_[h] = ip;
    ip4Slots_[h] = idx;
    if (++ip4Count_ * 2 > ip4Keys_.size()) growIp4();
    return clients[idx].get();
  }

  void growIp4() {
    const size_t size = ip4Keys_.size() * 2;
    std::vector<uint32_t> keys(size, 0);
    std::vector<int32_t> slots(size, -1);
    const int shift = 32 - __builtin_ctzll(size);
    for (size_t i = 0; i < ip4Keys_.size(); i++) {
      if (ip4Slots_[i] < 0) continue;
      size_t h = (ip4Keys_[i] * 0x9e3779b1u) >> shift;
      while (slots[h] >= 0) h = (h + 1) & (size - 1);
      keys[h] = ip4Keys_[i];
      slots[h] = ip4Slots_[i];
    }
    ip4Keys_.swap(keys);
    ip4Slots_.swap(slots);
    ip4Shift_ = shift;
  }

  // The client of an address spelled otherwise, decided by JavaScript once per spelling.
  Client* lookupRaw(const uint8_t* p, size_t len) {
    std::string_view raw(reinterpret_cast<const char*>(p), len);
    auto it = byRaw_.find(raw);
    if (it != byRaw_.end()) return it->second < 0 ? nullptr : clients[it->second].get();
    int32_t idx = -1;
    std::string key;
    if (resolver_.resolve(raw, key)) idx = byKeyOrNew(std::move(key));
    rawStore_.emplace_back(raw);
    byRaw_.emplace(std::string_view(rawStore_.back()), idx);
    return idx < 0 ? nullptr : clients[idx].get();
  }
};

struct Stats {
  double linesRead = 0, parsed = 0, malformed = 0, blank = 0, tooLong = 0, bytesRead = 0;
  double firstTime = NAN, lastTime = NAN, tzOffset = NAN;
  std::vector<Malformed> samples;
  std::string error;
};

// Progress for the JavaScript thread: bytes read by all readers, told every 32 MiB.
struct Progress {
  napi_threadsafe_function tsfn = nullptr;
  std::atomic<uint64_t> bytes{0};
  std::atomic<uint64_t> told{0};

  void add(uint64_t n) {
    const uint64_t now = bytes.fetch_add(n, std::memory_order_relaxed) + n;
    uint64_t last = told.load(std::memory_order_relaxed);
    if (tsfn && now - last >= (32u << 20) && told.compare_exchange_strong(last, now))
      napi_call_threadsafe_function(tsfn, nullptr, napi_tsfn_nonblocking);
  }
};

// readLogs for one range: blocks of the file, lines split, scanned, counted and added to the table.
class RangeReader {
 public:
  RangeReader(const Options& o, Table& t, Stats& s, Progress& progress) : opts_(o), table_(t), stats_(s), progress_(progress) {}

  void malformedLine(const uint8_t* b, size_t start, size_t end) {
    stats_.malformed++;
    if (stats_.samples.size() < opts_.maxMalformedSamples) {
      stats_.samples.push_back({lineNo_, std::string(reinterpret_cast<const char*>(b + start), std::min(end, start + MALFORMED_CHARS) - start)});
    }
  }

  void tooLong(const uint8_t* b, size_t start, size_t end) {
    stats_.linesRead++;
    stats_.tooLong++;
    malformedLine(b, start, end);
  }

  // A line the scanner refused (or the last, unfinished one, with room for a newline after it): blank,
  // overlong or malformed.
  void onLine(uint8_t* b, size_t start, size_t end, bool parseIt) {
    lineNo_++;
    if (end > start && b[end - 1] == CR) end--;
    if (end == start) {
      stats_.blank++;
      return;
    }
    if (end - start > opts_.maxLine) {
      tooLong(b, start, end);
      return;
    }
    if (parseIt) {
      // The final line without a newline: scanned with one put after it, as parseClfLine does.
      b[end] = NL;
      take(b, start, end, scanLine(b, start, end, opts_.leadingFields, opts_.requiresAgent, rec_, day_));
      return;
    }
    stats_.linesRead++;
    malformedLine(b, start, end);
  }

  void take(const uint8_t* b, size_t start, size_t end, bool parsed) {
    take(b, start, end, parsed, rec_, parsed ? table_.lookup(rec_, b) : nullptr);
  }

  void take(const uint8_t* b, size_t start, size_t end, bool parsed, const Record& rec, Client* c) {
    stats_.linesRead++;
    if (parsed && table_.add(c, rec, b, base_, start, end)) {
      stats_.parsed++;
      if (std::isnan(stats_.firstTime) || rec.time < stats_.firstTime) stats_.firstTime = rec.time;
      if (std::isnan(stats_.lastTime) || rec.time > stats_.lastTime) stats_.lastTime = rec.time;
      if (std::isnan(stats_.tzOffset)) stats_.tzOffset = rec.tzOffset;
    } else malformedLine(b, start, end);
  }

  // The lines of b from pos up to and including the newline at last.
  size_t scanLines(uint8_t* b, size_t pos, size_t last) {
    while (pos <= last) {
      const size_t nl = static_cast<const uint8_t*>(std::memchr(b + pos, NL, last + 1 - pos)) - b;
      if (!scanLine(b, pos, nl, opts_.leadingFields, opts_.requiresAgent, rec_, day_)) {
        onLine(b, pos, nl, false);
      } else {
        lineNo_++;
        const size_t end = b[nl - 1] == CR ? nl - 1 : nl;
        if (end - pos > opts_.maxLine) tooLong(b, pos, end);
        else take(b, pos, end, true);
      }
      pos = nl + 1;
    }
    return pos;
  }

  void run(int fd, double start, double end) {
    const size_t chunk = 4u << 20;
    std::vector<uint8_t> buf(chunk + PAD, 0);
    size_t len = 0;  // bytes held
    size_t keepFrom = 0;
    double at = start;
    bool skipping = false;
    for (;;) {
      const size_t keep = len - keepFrom;
      if (keep + chunk + PAD > buf.size()) {
        std::vector<uint8_t> bigger(keep + chunk + PAD, 0);
        std::memcpy(bigger.data(), buf.data() + keepFrom, keep);
        buf.swap(bigger);
      } else if (keep > 0) std::memmove(buf.data(), buf.data() + keepFrom, keep);
      const size_t want = static_cast<size_t>(std::min<double>(chunk, end - at));
      ssize_t n = 0;
      if (want > 0) {
        do n = pread(fd, buf.data() + keep, want, static_cast<off_t>(at));
        while (n < 0 && errno == EINTR);
      }
      if (n < 0) {
        stats_.error = std::string("read failed: ") + std::strerror(errno);
        len = keep;
        keepFrom = 0;
        base_ = at - double(len);
        break;
      }
      if (n == 0) {
        len = keep;
        keepFrom = 0;
        base_ = at - double(len);
        break;
      }
      at += n;
      stats_.bytesRead += n;
      progress_.add(static_cast<uint64_t>(n));
      len = keep + static_cast<size_t>(n);
      base_ = at - double(len);  // the file offset of buf[0]
      std::memset(buf.data() + len, 0, PAD);
      uint8_t* b = buf.data();
      size_t pos = 0;
      if (skipping) {
        const void* f = std::memchr(b, NL, len);
        if (!f) {
          keepFrom = len;
          continue;
        }
        skipping = false;
        pos = static_cast<const uint8_t*>(f) - b + 1;
      }
      const uint8_t* lastNl = static_cast<const uint8_t*>(memrchr(b + pos, NL, len - pos));
      if (lastNl) pos = scanLines(b, pos, lastNl - b);
      keepFrom = pos;
      if (pos < len && len - pos > opts_.maxLine) {
        onLine(b, pos, len, false);
        skipping = true;
        keepFrom = len;
      }
    }
    // The last line, when the range does not end with a newline.
    if (len > keepFrom && !skipping) {
      uint8_t* b = buf.data();
      std::memset(b + len, 0, PAD);
      onLine(b, keepFrom, len, true);
    }
  }

 private:
  const Options& opts_;
  Table& table_;
  Stats& stats_;
  Progress& progress_;
  Record rec_;
  DayCache day_;
  double base_ = 0;
  double lineNo_ = 0;
};

// ---- N-API glue ----

#define CHECK(call)                                                     \
  do {                                                                  \
    if ((call) != napi_ok) {                                            \
      napi_throw_error(env, nullptr, "logwarden native: " #call " failed"); \
      return nullptr;                                                   \
    }                                                                   \
  } while (0)

Classes g_classes;  // set by init(); one per process is enough (the lists are constants)

bool stringArray(napi_env env, napi_value arr, std::vector<std::string>& out) {
  uint32_t n = 0;
  if (napi_get_array_length(env, arr, &n) != napi_ok) return false;
  out.clear();
  for (uint32_t i = 0; i < n; i++) {
    napi_value v;
    size_t len = 0;
    if (napi_get_element(env, arr, i, &v) != napi_ok) return false;
    if (napi_get_value_string_utf8(env, v, nullptr, 0, &len) != napi_ok) return false;
    std::string s(len, '\0');
    napi_get_value_string_utf8(env, v, s.data(), len + 1, &len);
    out.push_back(std::move(s));
  }
  return true;
}

napi_value Init(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  Classes cls;
  if (argc < 2 || !stringArray(env, argv[0], cls.sensitive) || !stringArray(env, argv[1], cls.staticExt)) {
    napi_throw_type_error(env, nullptr, "init(sensitivePatterns, staticExtensions)");
    return nullptr;
  }
  g_classes = std::move(cls);
  return nullptr;
}

void setNumber(napi_env env, napi_value obj, const char* name, double v) {
  napi_value x;
  napi_create_double(env, v, &x);
  napi_set_named_property(env, obj, name, x);
}

napi_value typedArray(napi_env env, napi_typedarray_type type, size_t elemSize, const void* data, size_t count) {
  void* dst = nullptr;
  napi_value ab, arr;
  napi_create_arraybuffer(env, elemSize * count, &dst, &ab);
  if (count) std::memcpy(dst, data, elemSize * count);
  napi_create_typedarray(env, type, count, ab, 0, &arr);
  return arr;
}

napi_value buffer(napi_env env, const std::string& s) {
  void* dst = nullptr;
  napi_value b;
  napi_create_buffer_copy(env, s.size(), s.data(), &dst, &b);
  return b;
}

// Reads [start, end) of an open file into `table`; an error is kept in stats.
void readPart(const std::string& path, double start, double end, const Options& opts, Table& table, Stats& stats,
              Progress& progress) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    stats.error = std::string("cannot open: ") + std::strerror(errno);
    return;
  }
#ifdef POSIX_FADV_SEQUENTIAL
  posix_fadvise(fd, static_cast<off_t>(start), static_cast<off_t>(end - start), POSIX_FADV_SEQUENTIAL);
#endif
  RangeReader reader(opts, table, stats, progress);
  reader.run(fd, start, end);
  close(fd);
}



// One readRanges call: its ranges are read on threads of their own while JavaScript goes on; the
// result is packed on the JavaScript thread when all are read and merged.
struct AsyncRead {
  // Segments of files: [start, end) of paths[file]; thread p reads segments [partStart[p], partStart[p + 1])
  // into a table of its own, in order, and the tables merge in order (each part continues the one before).
  struct Segment {
    int32_t file;
    double start, end;
  };
  std::vector<std::string> paths;
  std::vector<Segment> segments;
  std::vector<size_t> partStart;
  Options opts;
  napi_deferred deferred = nullptr;
  napi_threadsafe_function resolveFn = nullptr, doneFn = nullptr;
  Progress progress;
  std::unique_ptr<TsfnResolver> resolver;
  std::vector<std::unique_ptr<Table>> tables;
  std::vector<Stats> stats;  // per segment
  std::thread coordinator;
  napi_ref error = nullptr;  // what the resolve callback threw, if it did
  std::chrono::steady_clock::time_point t0 = std::chrono::steady_clock::now();

  void mark(const char* what) const {
    if (std::getenv("LOGWARDEN_TIMING"))
      std::fprintf(stderr, "timing:   native %s at %.0f ms\n", what,
                   std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }

  // On the coordinator thread: every part on a thread of its own, then the tables merged in order.
  void run() {
    const size_t parts = partStart.size() - 1;
    std::vector<std::thread> readers;
    for (size_t p = 0; p < parts; p++) {
      readers.emplace_back([this, p] {
        for (size_t i = partStart[p]; i < partStart[p + 1]; i++) {
          const Segment& g = segments[i];
          tables[p]->fileIndex = g.file;
          readPart(paths[g.file], g.start, g.end, opts, *tables[p], stats[i], progress);
        }
      });
    }
    for (auto& t : readers) t.join();
    mark("ranges read");
    for (size_t p = 1; p < parts; p++) {
      tables[0]->merge(*tables[p]);
      tables[p].reset();
    }
    // In key order (byte order, which is JavaScript's string order for these ASCII keys): detection wants
    // them so, and sorting here costs a fraction of sorting there. The table is read only from now on.
    std::sort(tables[0]->clients.begin(), tables[0]->clients.end(),
              [](const std::unique_ptr<Client>& a, const std::unique_ptr<Client>& b) { return a->key < b->key; });
    mark("merged");
    napi_call_threadsafe_function(doneFn, this, napi_tsfn_blocking);
  }
};

napi_value packResult(napi_env env, Table& table, std::vector<Stats>& stats, const std::vector<std::string>& files);
napi_value packTable(napi_env env, napi_value out, Table& table, const std::vector<std::string>& files);


void resolveOnMain(napi_env env, napi_value fn, void* context, void* data) {
  auto* job = static_cast<AsyncRead*>(context);
  auto* r = static_cast<ResolveRequest*>(data);
  bool ok = false;
  std::string key;
  if (env && !job->error) {
    napi_value text, result, global;
    napi_get_global(env, &global);
    napi_create_string_latin1(env, r->raw.data(), r->raw.size(), &text);
    if (napi_call_function(env, global, fn, 1, &text, &result) != napi_ok) {
      napi_value err;
      napi_get_and_clear_last_exception(env, &err);
      napi_create_reference(env, err, 1, &job->error);
    } else {
      napi_valuetype t;
      napi_typeof(env, result, &t);
      if (t == napi_string) {
        size_t n = 0;
        napi_get_value_string_utf8(env, result, nullptr, 0, &n);
        key.assign(n, '\0');
        napi_get_value_string_utf8(env, result, key.data(), n + 1, &n);
        ok = true;
      }
    }
  }
  std::lock_guard<std::mutex> lock(r->m);
  r->ok = ok;
  r->key = std::move(key);
  r->done = true;
  r->cv.notify_one();
}

void progressOnMain(napi_env env, napi_value fn, void* context, void*) {
  auto* progress = static_cast<Progress*>(context);
  if (!env || !fn) return;
  napi_valuetype t;
  napi_typeof(env, fn, &t);
  if (t != napi_function) return;
  napi_value arg, global, ignored;
  napi_create_double(env, double(progress->bytes.load()), &arg);
  napi_get_global(env, &global);
  if (napi_call_function(env, global, fn, 1, &arg, &ignored) != napi_ok) {
    napi_value err;
    napi_get_and_clear_last_exception(env, &err);
  }
}

void doneOnMain(napi_env env, napi_value, void*, void* data) {
  std::unique_ptr<AsyncRead> job(static_cast<AsyncRead*>(data));
  job->coordinator.join();
  napi_release_threadsafe_function(job->resolveFn, napi_tsfn_release);
  napi_release_threadsafe_function(job->doneFn, napi_tsfn_release);
  if (job->progress.tsfn) napi_release_threadsafe_function(job->progress.tsfn, napi_tsfn_release);
  if (!env) return;
  if (job->error) {
    napi_value err;
    napi_get_reference_value(env, job->error, &err);
    napi_delete_reference(env, job->error);
    napi_reject_deferred(env, job->deferred, err);
    return;
  }
  napi_value out = packResult(env, *job->tables[0], job->stats, job->paths);
  job->mark("packed");
  if (!out) {
    napi_value err;
    napi_get_and_clear_last_exception(env, &err);
    napi_reject_deferred(env, job->deferred, err);
    return;
  }
  napi_resolve_deferred(env, job->deferred, out);
  job.reset();
#ifdef __GLIBC__
  malloc_trim(0);  // the reader threads' heaps: give the table's memory back now that JavaScript holds it
#endif
}

// readRanges(paths, segments, parts, options, resolve(raw) -> key | null, progress(bytes)?) -> Promise.
// `segments` holds (file index, start, end) triples, byte ranges of the files in reading order; `parts` the
// index of each thread's first segment, then the number of segments. Each thread reads its segments in
// order into one table, and the tables merge in order: the files of a run cost one merge, not one per file.
napi_value ReadRanges(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  CHECK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  if (argc < 5) {
    napi_throw_type_error(env, nullptr, "readRanges(paths, segments, parts, options, resolve, progress?)");
    return nullptr;
  }
  auto job = std::make_unique<AsyncRead>();
  if (!stringArray(env, argv[0], job->paths)) {
    napi_throw_type_error(env, nullptr, "readRanges: paths must be strings");
    return nullptr;
  }
  auto numbers = [&](napi_value arr, std::vector<double>& out) {
    uint32_t n = 0;
    if (napi_get_array_length(env, arr, &n) != napi_ok) return false;
    out.resize(n);
    for (uint32_t i = 0; i < n; i++) {
      napi_value v;
      if (napi_get_element(env, arr, i, &v) != napi_ok || napi_get_value_double(env, v, &out[i]) != napi_ok) return false;
    }
    return true;
  };
  std::vector<double> seg, parts;
  if (!numbers(argv[1], seg) || !numbers(argv[2], parts) || seg.size() % 3 != 0 || parts.size() < 2) {
    napi_throw_type_error(env, nullptr, "readRanges: segments are (file, start, end) triples, parts at least two indices");
    return nullptr;
  }
  for (size_t i = 0; i < seg.size(); i += 3) {
    const int32_t f = static_cast<int32_t>(seg[i]);
    if (f < 0 || static_cast<size_t>(f) >= job->paths.size() || seg[i + 1] > seg[i + 2]) {
      napi_throw_range_error(env, nullptr, "readRanges: a segment names no file or ends before it starts");
      return nullptr;
    }
    job->segments.push_back({f, seg[i + 1], seg[i + 2]});
  }
  for (size_t i = 0; i < parts.size(); i++) {
    const size_t v = static_cast<size_t>(parts[i]);
    if (v > job->segments.size() || (i > 0 && v < job->partStart.back())) {
      napi_throw_range_error(env, nullptr, "readRanges: parts must rise through the segments");
      return nullptr;
    }
    job->partStart.push_back(v);
  }
  const napi_value options = argv[3], resolve = argv[4], progressFn = argc >= 6 ? argv[5] : nullptr;
  auto getNum = [&](const char* name, double& out) {
    napi_value v;
    napi_valuetype t;
    if (napi_get_named_property(env, options, name, &v) != napi_ok || napi_typeof(env, v, &t) != napi_ok) return;
    if (t == napi_number) napi_get_value_double(env, v, &out);
    if (t == napi_boolean) {
      bool b = false;
      napi_get_value_bool(env, v, &b);
      out = b ? 1 : 0;
    }
  };
  double lead = 0, agent = 1, maxLine = double(1 << 20), maxSamples = 10;
  getNum("leadingFields", lead);
  getNum("requiresAgent", agent);
  getNum("maxLineBytes", maxLine);
  getNum("maxMalformedSamples", maxSamples);
  job->opts.leadingFields = static_cast<int>(lead);
  job->opts.requiresAgent = agent != 0;
  job->opts.maxLine = static_cast<size_t>(maxLine);
  job->opts.maxMalformedSamples = static_cast<size_t>(maxSamples);
  napi_value name, promise;
  CHECK(napi_create_string_utf8(env, "logwarden readRanges", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_create_promise(env, &job->deferred, &promise));
  CHECK(napi_create_threadsafe_function(env, resolve, nullptr, name, 0, 1, nullptr, nullptr, job.get(), resolveOnMain, &job->resolveFn));
  CHECK(napi_create_threadsafe_function(env, nullptr, nullptr, name, 0, 1, nullptr, nullptr, nullptr, doneOnMain, &job->doneFn));
  if (progressFn) {
    napi_valuetype t;
    napi_typeof(env, progressFn, &t);
    if (t == napi_function) {
      CHECK(napi_create_threadsafe_function(env, progressFn, nullptr, name, 0, 1, nullptr, nullptr, &job->progress, progressOnMain, &job->progress.tsfn));
      napi_unref_threadsafe_function(env, job->progress.tsfn);
    }
  }
  job->resolver.reset(new TsfnResolver(job->resolveFn));
  job->stats.resize(job->segments.size());
  for (size_t p = 0; p + 1 < job->partStart.size(); p++) job->tables.emplace_back(new Table(*job->resolver, g_classes));
  AsyncRead* j = job.release();
  j->coordinator = std::thread([j] { j->run(); });
  return promise;
}

napi_value statsObject(napi_env env, Stats& st) {
  napi_value out;
  napi_create_object(env, &out);
  setNumber(env, out, "linesRead", st.linesRead);
  setNumber(env, out, "parsed", st.parsed);
  setNumber(env, out, "malformed", st.malformed);
  setNumber(env, out, "blank", st.blank);
  setNumber(env, out, "tooLong", st.tooLong);
  setNumber(env, out, "bytesRead", st.bytesRead);
  setNumber(env, out, "firstTime", st.firstTime);
  setNumber(env, out, "lastTime", st.lastTime);
  setNumber(env, out, "tzOffset", st.tzOffset);
  if (!st.error.empty()) {
    napi_value e;
    napi_create_string_utf8(env, st.error.data(), st.error.size(), &e);
    napi_set_named_property(env, out, "error", e);
  }
  napi_value mal;
  napi_create_array_with_length(env, st.samples.size(), &mal);
  for (size_t i = 0; i < st.samples.size(); i++) {
    napi_value pair, line;
    napi_create_object(env, &pair);
    napi_create_double(env, st.samples[i].line, &line);
    napi_set_named_property(env, pair, "line", line);
    napi_set_named_property(env, pair, "bytes", buffer(env, st.samples[i].bytes));
    napi_set_element(env, mal, static_cast<uint32_t>(i), pair);
  }
  napi_set_named_property(env, out, "malformedSamples", mal);
  return out;
}

// { segments: [stats of each segment], ...the table packed }
napi_value packResult(napi_env env, Table& table, std::vector<Stats>& stats, const std::vector<std::string>& files) {
  napi_value out, list;
  CHECK(napi_create_object(env, &out));
  CHECK(napi_create_array_with_length(env, stats.size(), &list));
  for (size_t i = 0; i < stats.size(); i++) napi_set_element(env, list, static_cast<uint32_t>(i), statsObject(env, stats[i]));
  napi_set_named_property(env, out, "segments", list);
  return packTable(env, out, table, files);
}

// The table into `out`, packed as ClientAggregate.pack would; `files` names the sample lines' files.
napi_value packTable(napi_env env, napi_value out, Table& table, const std::vector<std::string>& files) {
  setNumber(env, out, "badAddressLines", table.badAddressLines);
  // The table, packed as ClientAggregate.pack would: sizes first, then written straight into the arrays
  // JavaScript gets, each client freed once written.
  const size_t n = table.clients.size();
  size_t wordCount = 0, sampleCount = 0, keyBytes = 0;
  auto counterWords = [](const Distinct& d) { return 2 + (d.regs ? HLL_M / 4 : d.exact.size()); };
  for (const auto& cp : table.clients) {
    const Client& c = *cp;
    wordCount += counterWords(c.paths) + counterWords(c.queries) + counterWords(c.agents) + (c.timeline ? 3 + c.timeline->counts.size() : 1);
    sampleCount += c.sampleCount;
    keyBytes += c.key.size() + 1;
  }
  auto arrayOf = [&](napi_typedarray_type type, size_t elemSize, size_t count, void** data) {
    napi_value ab, arr;
    napi_create_arraybuffer(env, elemSize * count, data, &ab);
    napi_create_typedarray(env, type, count, ab, 0, &arr);
    return arr;
  };
  double* nums;
  int32_t* words;
  double* sampleOffsets;
  int32_t* sampleLens;
  int32_t* sampleHashes;
  int32_t* sampleFiles;
  uint8_t* sampleCounts;
  napi_value numsArr = arrayOf(napi_float64_array, 8, n * FIELD_COUNT, reinterpret_cast<void**>(&nums));
  napi_value wordsArr = arrayOf(napi_int32_array, 4, wordCount, reinterpret_cast<void**>(&words));
  napi_value sampleOffsetsArr = arrayOf(napi_float64_array, 8, sampleCount, reinterpret_cast<void**>(&sampleOffsets));
  napi_value sampleLensArr = arrayOf(napi_int32_array, 4, sampleCount, reinterpret_cast<void**>(&sampleLens));
  napi_value sampleHashesArr = arrayOf(napi_int32_array, 4, sampleCount, reinterpret_cast<void**>(&sampleHashes));
  napi_value sampleFilesArr = arrayOf(napi_int32_array, 4, sampleCount, reinterpret_cast<void**>(&sampleFiles));
  napi_value sampleCountsArr = arrayOf(napi_uint8_array, 1, n, reinterpret_cast<void**>(&sampleCounts));
  std::string keys;
  keys.reserve(keyBytes);
  std::vector<int32_t> scratch;
  size_t w = 0, sl = 0;
  for (size_t i = 0; i < n; i++) {
    std::unique_ptr<Client> cp = std::move(table.clients[i]);
    const Client& c = *cp;
    if (i) keys += '\n';
    keys += c.key;
    packNumbers(c, nums + i * FIELD_COUNT);
    scratch.clear();
    c.paths.pack(scratch);
    c.queries.pack(scratch);
    c.agents.pack(scratch);
    if (!c.timeline) scratch.push_back(-1);
    else {
      scratch.push_back(c.timeline->start);
      scratch.push_back(c.timeline->width);
      scratch.push_back(static_cast<int32_t>(c.timeline->counts.size()));
      for (uint32_t v : c.timeline->counts) scratch.push_back(static_cast<int32_t>(v));
    }
    std::memcpy(words + w, scratch.data(), scratch.size() * 4);
    w += scratch.size();
    sampleCounts[i] = static_cast<uint8_t>(c.sampleCount);
    for (int32_t k = 0; k < c.sampleCount; k++, sl++) {
      sampleOffsets[sl] = c.samples[k].offset;
      sampleLens[sl] = static_cast<int32_t>(c.samples[k].length);
      sampleHashes[sl] = c.samples[k].hash;
      sampleFiles[sl] = c.samples[k].file;
    }
  }
  table.clients.clear();
  napi_value keysText, fields;
  CHECK(napi_create_string_latin1(env, keys.data(), keys.size(), &keysText));
  CHECK(napi_create_array_with_length(env, FIELD_COUNT, &fields));
  for (size_t f = 0; f < FIELD_COUNT; f++) {
    napi_value str;
    napi_create_string_utf8(env, NUMERIC_FIELDS[f], NAPI_AUTO_LENGTH, &str);
    napi_set_element(env, fields, static_cast<uint32_t>(f), str);
  }
  setNumber(env, out, "clientCount", double(n));
  napi_set_named_property(env, out, "keys", keysText);
  napi_set_named_property(env, out, "fields", fields);
  napi_set_named_property(env, out, "nums", numsArr);
  napi_set_named_property(env, out, "words", wordsArr);
  napi_set_named_property(env, out, "sampleOffsets", sampleOffsetsArr);
  napi_set_named_property(env, out, "sampleLengths", sampleLensArr);
  napi_set_named_property(env, out, "sampleHashes", sampleHashesArr);
  napi_set_named_property(env, out, "sampleFiles", sampleFilesArr);
  napi_value fileNames;
  napi_create_array_with_length(env, files.size(), &fileNames);
  for (size_t f = 0; f < files.size(); f++) {
    napi_value str;
    napi_create_string_utf8(env, files[f].data(), files[f].size(), &str);
    napi_set_element(env, fileNames, static_cast<uint32_t>(f), str);
  }
  napi_set_named_property(env, out, "sampleFileNames", fileNames);
  napi_set_named_property(env, out, "sampleCounts", sampleCountsArr);
  setNumber(env, out, "overallStart", table.overall.start);
  setNumber(env, out, "overallWidth", table.overall.width);
  napi_set_named_property(env, out, "overallCounts",
                          typedArray(env, napi_uint32_array, 4, table.overall.counts.data(), table.overall.counts.size()));
  return out;
}

napi_value Register(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"init", nullptr, Init, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"readRanges", nullptr, ReadRanges, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, 2, props);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Register)
