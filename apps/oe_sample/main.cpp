/// tachyon-oe-sample: prints a scripted SoupBinTCP 3.00 / OUCH 4.2 exchange, every byte of it
/// written by the apps/oe codecs, one TCP segment per line:
///
///     <connection> <c|s> <hex bytes> <labels>
///
/// `c` is client to server, `s` server to client; labels name what the segment completes, in
/// order, comma-separated: a SoupBinTCP Packet Type, followed for data packets by ':' and the
/// OUCH Message Type ("L", "S:A", "U:O"), or "-" when the segment completes nothing (the first
/// part of a split packet). tests/integration/test_oe_tshark.py wraps the lines in TCP frames,
/// writes a pcap, and checks tshark's soupbintcp and ouch dissectors read back the labels.
/// Every packet type of SoupBinTCP and every OUCH message type apps/oe decodes is used.

#include <cstdio>
#include <span>
#include <string>
#include <vector>

#include "apps/oe/ouch.hpp"
#include "apps/oe/soupbintcp.hpp"

namespace {

using namespace tachyon::oe;
using tachyon::md::text;

/// Collects the packets of one segment and prints it.
class segment {
public:
    /// A segment of `connection` sent by the client (`from_client`) or the server.
    segment(int connection, bool from_client) : _connection(connection), _from_client(from_client) {}

    /// Appends a packet with a structured SoupBinTCP body.
    template <class P>
    segment& soup(const P& body) {
        std::byte buf[64];
        add(std::span(buf, soup_emit(body, buf)), std::string(1, char(P::type)));
        return *this;
    }
    /// Appends a packet of `t` with `payload` (empty, debug text).
    segment& raw(soup_type t, std::span<const std::byte> payload = {}) {
        std::byte buf[256];
        add(std::span(buf, soup_emit(buf, t, payload)), std::string(1, char(t)));
        return *this;
    }
    /// Appends an OUCH message in Unsequenced (client) or Sequenced (server) Data.
    template <class M>
    segment& ouch(const M& m) {
        std::byte buf[160];
        const size_t n = ouch_emit_packet(m, buf);
        add(std::span(buf, n), std::string(_from_client ? "U:" : "S:") + char(M::type)); // what it must be
        return *this;
    }
    /// Prints the first `n` bytes as a segment of their own (labelled "-"), keeping the rest.
    segment& split_after(size_t n) {
        print(std::span(_bytes).first(n), "-");
        _bytes.erase(_bytes.begin(), _bytes.begin() + long(n));
        return *this;
    }
    /// Prints the segment (the end of every script line).
    void send() const { print(_bytes, _labels); }

private:
    void add(std::span<const std::byte> packet, const std::string& label) {
        _bytes.insert(_bytes.end(), packet.begin(), packet.end());
        _labels += (_labels.empty() ? "" : ",") + label;
    }
    void print(std::span<const std::byte> bytes, const std::string& labels) const {
        std::printf("%d %c ", _connection, _from_client ? 'c' : 's');
        for (std::byte b : bytes) std::printf("%02x", unsigned(b));
        std::printf(" %s\n", labels.c_str());
    }

    int _connection;
    bool _from_client;
    std::vector<std::byte> _bytes;
    std::string _labels;
};

/// An Enter Order for `token`.
ouch_enter_order order(const char* token, const char* stock, uint32_t shares) {
    const ouch_stock symbol = text<8>(stock);
    const ouch_firm firm = text<4>("FIRM");
    return {text<14>(token), 'B', shares, symbol, 1502500, 99998, firm, 'Y', 'P', 'N', 0, 'N', 'N'};
}

/// The Accepted answering `o`.
ouch_accepted accepted(const ouch_enter_order& o, uint64_t ts, uint64_t ref) {
    return {ts,
            o.token,
            {o.side, o.shares, o.stock, o.price, o.time_in_force, o.firm, o.display, ref, o.capacity, o.iso,
             o.min_quantity, o.cross_type, 'L'},
            ' '};
}

} // namespace

int main() {
    const auto session = text<10>("SESSION001");
    const uint64_t t0 = 34200000000000; // 09:30 in ns since midnight
    const auto o1 = order("ORD00000000001", "AAPL", 100);
    const auto o3 = order("ORD00000000003", "MSFT", 50);
    const auto o4 = order("ORD00000000004", "ZZZZ", 10);

    segment(0, true)
        .soup(soup_login_request{text<6>("TRADER"), text<10>("SECRET"), text<10>(""), {1}})
        .send();
    segment(0, false).soup(soup_login_accepted{session, {1}}).send();
    segment(0, false).ouch(ouch_system_event{t0, 'S'}).send();
    segment(0, true).ouch(o1).send();
    segment(0, false).ouch(accepted(o1, t0 + 1000, 7001)).send();
    segment(0, true)
        .ouch(ouch_replace_order{o1.token, text<14>("ORD00000000002"), 200, 1502600, 0, 'Y', 'N', 0})
        .send();
    segment(0, false)
        .ouch(ouch_replaced{t0 + 2000,
                            text<14>("ORD00000000002"),
                            {'B', 200, o1.stock, 1502600, 0, o1.firm, 'Y', 7002, 'P', 'N', 0, 'N', 'L'},
                            o1.token,
                            ' '})
        .send();
    segment(0, true).ouch(ouch_cancel_order{text<14>("ORD00000000002"), 0}).send();
    segment(0, false).ouch(ouch_canceled{t0 + 3000, text<14>("ORD00000000002"), 200, 'U'}).send();
    segment(0, true).ouch(o3).split_after(20).send(); // one packet across two segments
    segment(0, false) // two packets in one segment
        .ouch(accepted(o3, t0 + 4000, 7003))
        .ouch(ouch_executed{t0 + 5000, o3.token, 50, 1502500, 'R', 99})
        .send();
    segment(0, true).ouch(o4).send();
    segment(0, false).ouch(ouch_rejected{t0 + 6000, o4.token, 'S'}).send();
    const char note[] = "end of the test day";
    segment(0, false).raw(soup_type::debug, std::as_bytes(std::span(note, sizeof note - 1))).send();
    segment(0, false).raw(soup_type::server_heartbeat).send();
    segment(0, true).raw(soup_type::client_heartbeat).send();
    segment(0, true).raw(soup_type::logout_request).send();
    segment(0, false).raw(soup_type::end_of_session).send();

    segment(1, true).soup(soup_login_request{text<6>("TRADER"), text<10>("WRONG"), session, {5}}).send();
    segment(1, false).soup(soup_login_rejected{'A'}).send();
    return 0;
}
