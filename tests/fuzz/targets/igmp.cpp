/// IGMP (stack/wire/igmp.hpp): every message kind parse → emit → parse agreement, the checksum
/// against an independent one, the RFC 3376 §4.1.1 code format round trip, and the Router Alert
/// scan on arbitrary bytes.

#include <cstring>
#include <span>
#include <vector>

#include "stack/wire/endian.hpp"
#include "stack/wire/igmp.hpp"
#include "support/frame_check.hpp"
#include "support/fuzz_target.hpp"

using namespace tachyon;

namespace {

void query_round_trip(const wire::igmp_query& q) {
    std::vector<std::byte> out(q.message_len());
    q.emit(out);
    FUZZ_CHECK(fuzz::reference_sum(out) == 0xffff, "igmp: query emit wrote a bad checksum");
    wire::igmp_query again;
    FUZZ_CHECK(wire::igmp_query::parse(out, again, true) == wire::wire_error::ok, "igmp: the emitted query fails");
    FUZZ_CHECK(again.version == q.version && again.max_resp_code == q.max_resp_code && again.group == q.group &&
                   again.suppress_router_processing == q.suppress_router_processing && again.qrv == q.qrv &&
                   again.qqic == q.qqic && again.source_count() == q.source_count() &&
                   (q.sources.empty() || std::memcmp(again.sources.data(), q.sources.data(), q.sources.size()) == 0),
               "igmp: the emitted query parses differently");
    // RFC 3376 §4.1.1: the code format holds the decoded value exactly; encoding rounds down.
    const uint32_t t = wire::igmp_decode_code(q.max_resp_code);
    FUZZ_CHECK(t <= 31744 && wire::igmp_decode_code(wire::igmp_encode_code(t)) == t,
               "igmp: code 0x%02x decodes to %u, which does not encode back", q.max_resp_code, t);
    const uint32_t v = q.group.value >> (q.group.value & 15);
    FUZZ_CHECK(v > 31744 || wire::igmp_decode_code(wire::igmp_encode_code(v)) <= v,
               "igmp: %u encodes to more than itself", v);
}

void report_round_trip(const wire::igmp_v3_report& r) {
    std::vector<std::vector<ipv4_address>> sources;
    std::vector<wire::igmp_group_record> records;
    r.for_each_record([&](const wire::igmp_v3_record& rec) {
        std::vector<ipv4_address> s;
        for (size_t i = 0; i < rec.source_count(); ++i) s.push_back(rec.source(i));
        sources.push_back(std::move(s));
        records.push_back({rec.type, rec.group, {}});
    });
    FUZZ_CHECK(records.size() == r.record_count, "igmp: %zu of %u records walked", records.size(), r.record_count);
    for (size_t i = 0; i < records.size(); ++i) records[i].sources = sources[i];
    std::vector<std::byte> out(wire::igmp_v3_report_len(records));
    wire::emit_igmp_v3_report(out, records);
    FUZZ_CHECK(fuzz::reference_sum(out) == 0xffff, "igmp: report emit wrote a bad checksum");
    wire::igmp_v3_report again;
    FUZZ_CHECK(wire::igmp_v3_report::parse(out, again, true) == wire::wire_error::ok, "igmp: the emitted report fails");
    size_t i = 0;
    again.for_each_record([&](const wire::igmp_v3_record& rec) {
        FUZZ_CHECK(i < records.size() && rec.type == records[i].type && rec.group == records[i].group &&
                       rec.source_count() == sources[i].size() && rec.aux_data_words == 0,
                   "igmp: record %zu of the emitted report differs", i);
        for (size_t k = 0; k < rec.source_count(); ++k)
            FUZZ_CHECK(rec.source(k) == sources[i][k], "igmp: source %zu of record %zu differs", k, i);
        ++i;
    });
}

} // namespace

TACHYON_FUZZ_TARGET(igmp) {
    const auto in = std::as_bytes(std::span(data, size));
    (void)wire::has_router_alert(in.first(std::min<size_t>(size, 60)));
    wire::igmp_message m;
    if (wire::parse_igmp(in, m, false) != wire::wire_error::ok) return 0;
    const bool sum_ok = fuzz::reference_sum(in) == 0xffff;
    wire::igmp_message checked;
    FUZZ_CHECK((wire::parse_igmp(in, checked, true) == wire::wire_error::ok) == sum_ok,
               "igmp: checksum verification disagrees with the reference sum");
    switch (m.type) {
    case wire::igmp_type::membership_query: query_round_trip(m.query); break;
    case wire::igmp_type::v3_membership_report: report_round_trip(m.v3_report); break;
    default: {
        std::vector<std::byte> out(wire::igmp_v2_message::message_len);
        m.v2_message.emit(out);
        wire::igmp_v2_message again;
        FUZZ_CHECK(wire::igmp_v2_message::parse(out, again, true) == wire::wire_error::ok && again == m.v2_message,
                   "igmp: the emitted v1/v2 message parses differently");
        if (sum_ok && size == 8)
            FUZZ_CHECK(fuzz::same_but_checksum(out, in, 2), "igmp: emit differs from a valid v1/v2 message");
        break;
    }
    }
    return 0;
}
