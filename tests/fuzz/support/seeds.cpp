/// Writes the seed corpus: a few valid inputs per target, made with the stack's own emitters
/// and the program writer, so that fuzzing starts past the parsers' first checks.
///
///     fuzz_seeds DIR      (tools/fuzz --seeds writes tests/fuzz/corpus)
///
/// Each file is DIR/TARGET/seed-NAME; existing files of that name are overwritten, others kept.

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "stack/wire/arp.hpp"
#include "stack/wire/endian.hpp"
#include "stack/wire/ethernet.hpp"
#include "stack/wire/icmp.hpp"
#include "stack/wire/igmp.hpp"
#include "stack/wire/ipv4.hpp"
#include "stack/wire/tcp.hpp"
#include "stack/wire/udp.hpp"
#include "support/program_writer.hpp"
#include "support/raw_frame.hpp"
#include "support/seeds_apps.hpp"
#include "support/stack_rig.hpp"

namespace fs = std::filesystem;
using namespace tachyon;
using namespace tachyon::fuzz;
using bytes = std::vector<uint8_t>;

namespace {

fs::path out_dir;

void write(const char* target, const std::string& name, const bytes& b) {
    const fs::path dir = out_dir / target;
    fs::create_directories(dir);
    std::ofstream(dir / ("seed-" + name), std::ios::binary).write(reinterpret_cast<const char*>(b.data()), std::streamsize(b.size()));
}

bytes from(std::span<const std::byte> s) {
    bytes b(s.size());
    if (!s.empty()) std::memcpy(b.data(), s.data(), s.size());
    return b;
}

bytes addresses() { return {198, 18, 0, 1, 198, 18, 0, 2}; }

bytes ipv4_packet(uint8_t proto, const std::vector<std::byte>& l4, uint8_t ihl_words = 5) {
    std::vector<std::byte> p(size_t(ihl_words) * 4 + l4.size());
    std::copy(l4.begin(), l4.end(), p.begin() + ihl_words * 4);
    wire::ipv4_repr ip;
    ip.total_len = uint16_t(p.size());
    ip.protocol = proto;
    ip.src = peer_ip;
    ip.dst = our_ip;
    ip.emit(p, false);
    p[0] = std::byte(0x40 | ihl_words);
    wire::store_be16(p.data() + 10, wire::internet_checksum(std::span(p).first(ihl_words * 4u)));
    return from(p);
}

std::vector<std::byte> icmp_echo(uint8_t type, uint16_t id, uint16_t seq, size_t len, uint8_t fill) {
    std::vector<std::byte> data(len, std::byte{fill});
    wire::icmp_repr m;
    m.type = type;
    m.identifier = id;
    m.sequence = seq;
    m.data = data;
    std::vector<std::byte> out(m.message_len());
    m.emit(out);
    return out;
}

std::vector<std::byte> udp_datagram(uint16_t sport, uint16_t dport, size_t len, wire::udp_checksum_mode mode) {
    std::vector<std::byte> d(8 + len, std::byte{0x61});
    wire::udp_repr{sport, dport, uint16_t(d.size()), 0}.emit(d, peer_ip, our_ip, mode);
    return d;
}

std::vector<std::byte> tcp_segment(uint8_t flags, uint32_t seq, uint32_t ack, const wire::tcp_options& o, size_t len) {
    wire::tcp_repr h;
    h.src_port = 40000;
    h.dst_port = 9000;
    h.seq = wire::seq32{seq};
    h.ack = wire::seq32{ack};
    h.flags = flags;
    h.window = 65535;
    h.options = o;
    std::vector<std::byte> s(h.emitted_header_len() + len, std::byte{0x42});
    h.emit(s, peer_ip, our_ip, len);
    return s;
}

void wire_seeds() {
    namespace tf = wire::tcp_flags;
    const auto frame = [](uint16_t type, const bytes& payload) {
        std::vector<std::byte> p(payload.size());
        if (!payload.empty()) std::memcpy(p.data(), payload.data(), payload.size());
        return from(stack_rig::ethernet(our_mac, type, p));
    };
    write("ethernet", "ipv4", frame(wire::ethertype::ipv4, {0x45, 0}));
    write("ethernet", "vlan", frame(wire::ethertype::vlan, {0, 1, 8, 0}));
    std::vector<std::byte> a(wire::arp_repr::packet_len);
    wire::arp_repr{wire::arp_operation::request, peer_mac, peer_ip, mac_address::zero(), our_ip}.emit(a);
    write("arp", "request", from(a));
    wire::arp_repr{wire::arp_operation::reply, peer_mac, peer_ip, our_mac, our_ip}.emit(a);
    write("arp", "reply", from(a));
    write("ipv4", "icmp", ipv4_packet(wire::ip_protocol::icmp, icmp_echo(8, 1, 1, 16, 0x61)));
    write("ipv4", "options", ipv4_packet(wire::ip_protocol::udp, udp_datagram(1, 2, 4, wire::udp_checksum_mode::full), 6));
    write("icmp", "echo-request", from(icmp_echo(8, 0x4242, 7, 32, 0x61)));
    write("icmp", "echo-request-empty", from(icmp_echo(8, 1, 1, 0, 0)));
    write("icmp", "echo-reply", from(icmp_echo(0, 0x4242, 7, 8, 0x10)));
    wire::icmp_repr unreach;
    unreach.type = wire::icmp_type::destination_unreachable;
    unreach.code = wire::icmp_unreachable_code::fragmentation_needed;
    unreach.next_hop_mtu = 1400;
    std::vector<std::byte> u(unreach.message_len() + 28, std::byte{0x45});
    unreach.data = std::span(u).subspan(8);
    unreach.emit(u);
    write("icmp", "frag-needed", from(u));
    auto with_addresses = [](const std::vector<std::byte>& l4) {
        bytes b = addresses();
        const bytes l = from(l4);
        b.insert(b.end(), l.begin(), l.end());
        return b;
    };
    write("udp", "datagram", with_addresses(udp_datagram(40000, 5000, 20, wire::udp_checksum_mode::full)));
    write("udp", "no-checksum", with_addresses(udp_datagram(40000, 5000, 3, wire::udp_checksum_mode::none)));
    wire::tcp_options all;
    all.has_mss = true;
    all.mss = 1460;
    all.has_window_scale = true;
    all.window_scale = 7;
    all.sack_permitted = true;
    all.has_timestamps = true;
    all.ts_val = 1000;
    write("tcp", "syn", with_addresses(tcp_segment(tf::syn, 1000, 0, all, 0)));
    wire::tcp_options ts;
    ts.has_timestamps = true;
    ts.ts_val = 1001;
    ts.ts_ecr = 77;
    write("tcp", "data-timestamps", with_addresses(tcp_segment(tf::ack | tf::psh, 1001, 5001, ts, 10)));
    wire::tcp_options sack = ts;
    sack.sack_count = 3;
    for (uint8_t i = 0; i < 3; ++i) sack.sack_blocks[i] = {wire::seq32{6000u + 200 * i}, wire::seq32{6100u + 200 * i}};
    write("tcp", "sack", with_addresses(tcp_segment(tf::ack, 1001, 5001, sack, 0)));
    write("tcp", "bare-fin", with_addresses(tcp_segment(tf::fin | tf::ack, 1, 1, {}, 0)));
    // IGMP: queries of each version, a v2 report and leave, a v3 report with sources.
    const auto query = [](wire::igmp_version v, ipv4_address g, size_t sources) {
        const std::byte src[8] = {std::byte{198}, std::byte{18}, std::byte{0}, std::byte{1},
                                  std::byte{198}, std::byte{18}, std::byte{0}, std::byte{9}};
        wire::igmp_query q;
        q.version = v;
        q.max_resp_code = v == wire::igmp_version::v1 ? 0 : 100;
        q.group = g;
        q.qrv = 2;
        q.qqic = 125;
        q.sources = std::span(src).first(sources * 4);
        std::vector<std::byte> out(q.message_len());
        q.emit(out);
        return from(out);
    };
    write("igmp", "query-v1", query(wire::igmp_version::v1, {}, 0));
    write("igmp", "query-v2-group", query(wire::igmp_version::v2, {239, 1, 1, 1}, 0));
    write("igmp", "query-v3-sources", query(wire::igmp_version::v3, {239, 1, 1, 1}, 2));
    std::vector<std::byte> v2(8);
    wire::igmp_v2_message{wire::igmp_type::v2_leave_group, 0, {239, 1, 1, 1}}.emit(v2);
    write("igmp", "leave", from(v2));
    const ipv4_address srcs[2] = {{198, 18, 0, 1}, {198, 18, 0, 9}};
    const wire::igmp_group_record recs[2] = {{wire::igmp_record_type::change_to_exclude, {239, 1, 1, 1}, {}},
                                             {wire::igmp_record_type::allow_new_sources, {239, 1, 1, 2}, srcs}};
    std::vector<std::byte> rep(wire::igmp_v3_report_len(recs));
    wire::emit_igmp_v3_report(rep, recs);
    write("igmp", "report-v3", from(rep));
    write("seq", "zero", bytes(16, 0));
    write("seq", "half", {0, 0, 0, 0, 0x80, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0x10, 1});
    write("seq", "wrap", {0xff, 0xff, 0xff, 0xf0, 0, 0, 0, 0x10, 0, 0, 0, 0x20, 0x40, 0, 0, 3});
    // syn_cookie: key, tuple, ISN, MSS, times (made, later), a forged check, offered options.
    bytes cookie(16, 0x5a);
    const bytes rest = {198, 18, 0, 2, 0x13, 0x88, 198, 18, 0, 1, 0xc3, 0x50, 0xff, 0xff, 0xff, 0xf0, 0x05, 0xb4,
                        0, 0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0x3b, 0x9a, 0, 0};
    cookie.insert(cookie.end(), rest.begin(), rest.end());
    write("syn_cookie", "fresh-1460", cookie);
    cookie[16 + 26] = 0x10; // checked some 8 minutes later: refused
    write("syn_cookie", "stale", cookie);
}

void frames_seeds() {
    namespace tf = wire::tcp_flags;
    // stack_frames records: fix-up byte, length, bytes (support/raw_frame.hpp).
    const auto record = [](uint8_t fix, const bytes& b) {
        bytes r{fix, uint8_t(b.size() >> 8), uint8_t(b.size())};
        r.insert(r.end(), b.begin(), b.end());
        return r;
    };
    const uint8_t ip_fixed = fixup::as_ipv4 | fixup::ip_header | fixup::addresses | fixup::l4_checksum;
    std::vector<std::byte> a(wire::arp_repr::packet_len);
    wire::arp_repr{wire::arp_operation::request, peer_mac, peer_ip, mac_address::zero(), our_ip}.emit(a);
    write("stack_frames", "arp", record(0, from(stack_rig::ethernet(mac_address::broadcast(), wire::ethertype::arp, a))));
    write("stack_frames", "ping", record(ip_fixed, ipv4_packet(wire::ip_protocol::icmp, icmp_echo(8, 9, 1, 24, 0x33))));
    write("stack_frames", "udp", record(ip_fixed, ipv4_packet(wire::ip_protocol::udp,
                                                               udp_datagram(40000, 5000, 32, wire::udp_checksum_mode::full))));
    wire::tcp_options mss;
    mss.has_mss = true;
    mss.mss = 1460;
    bytes syn_then_rst = record(ip_fixed, ipv4_packet(wire::ip_protocol::tcp, tcp_segment(tf::syn, 1000, 0, mss, 0)));
    const bytes rst = record(ip_fixed | 0x20, ipv4_packet(wire::ip_protocol::tcp, tcp_segment(tf::rst, 1001, 0, {}, 0)));
    syn_then_rst.insert(syn_then_rst.end(), rst.begin(), rst.end());
    write("stack_frames", "syn-rst", syn_then_rst);
}

void program_seeds() {
    const char* t = "stack_program";
    write(t, "handshakes-plain", program_writer(0x00, 0x00).bytes());
    write(t, "handshakes-all-options", program_writer(0x0f, 0x0f).bytes());
    // Request/response both ways, acknowledged.
    write(t, "request-response",
          program_writer(0x0f, 0x0f).data(0, 4).send(0, 3).ack_all(0).data(1, 5).send(1, 2).ack_all(1).bytes());
    // Many small sends, then a large one, then everything acknowledged.
    program_writer small(0x0b, 0x00);
    for (int i = 0; i < 20; ++i) small.send(0, 0);
    write(t, "many-small-sends", small.send(0, 10).ack_all(0).advance(6).ack_all(0).bytes());
    // Bulk data with loss: nothing acknowledged for a while (RTO), then everything.
    write(t, "bulk-retransmit", program_writer(0x0f, 0x0f).send(0, 13).send(0, 13).advance(6).advance(7).ack_all(0).bytes());
    // Orderly close from each side, then TIME-WAIT runs out.
    write(t, "close-both-ways",
          program_writer(0x08, 0x08).close(0).ack_all(0).data(0, 0, true).data(1, 4, true).close(1).ack_all(1).advance(8).bytes());
    // Keepalive on an idle connection, until it gives up.
    write(t, "keepalive-idle", program_writer(0x30, 0x00).advance(9).advance(6).advance(6).advance(6).bytes());
    // Half-opens: SYNs that are never completed, one completed, one reset.
    write(t, "half-opens",
          program_writer(0x01, 0x00).syn(0x01, 5000).syn(0x09, 6000).complete(2).syn(0x00, 7000)
              .segment(4, 3, 6, 0, 0, 0, 0, 0, 0).advance(10).bytes());
    // Callbacks that act: on_data answers, on_writable sends more, on_closed aborts another.
    write(t, "reactions",
          program_writer(0x0f, 0x00).react(0, callback::data, action::send, 3).react(1, callback::writable, action::send, 5)
              .react(0, callback::closed, action::abort_other, 1).data(0, 4).send(1, 10).ack_all(1).data(0, 2, true)
              .close(0).ack_all(0).advance(8).bytes());
    // A second active connection, out-of-order data and SACK, a zero window.
    write(t, "connect-ooo-zero-window",
          program_writer(0x0f, 0x0f).connect(1, 0x40000000, 0x0f).complete(2).segment(2, 1, 1, 100, 0, 0, 7, 1, 5)
              .data(2, 5).send(2, 6).ack_all(2, 0).advance(6).advance(7).ack_all(2).bytes());
    // UDP, multicast, ping, ARP and an IGMP query.
    write(t, "udp-multicast",
          program_writer(0x00, 0x00).udp(0, 0, 1, 0).udp(1, 0, 1, 0).udp(3, 0, 1, 1).udp(3, 0, 4, 0).igmp_query(2, 0, 10)
              .advance(5).udp(4, 0, 9, 1).udp(2, 0, 1, 0).udp(6, 0, 0, 0).bytes());
    write(t, "ping-arp", program_writer(0x00, 0x00).ping(1, 1, 56, 0x61).arp(1, 7).arp(5, 0).ping(0x4242, 2, 0, 1).bytes());
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: fuzz_seeds DIR\n");
        return 2;
    }
    out_dir = argv[1];
    wire_seeds();
    frames_seeds();
    program_seeds();
    apps_seeds(write);
    std::printf("fuzz_seeds: wrote the seeds under %s\n", out_dir.c_str());
    return 0;
}
