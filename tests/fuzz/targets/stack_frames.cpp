/// The whole receive path, unstructured: arbitrary frames into a stack that listens on TCP port
/// 9000 (accepting and echoing), has a UDP socket on port 5000 joined to 239.1.1.1, and answers
/// pings. The input is a list of records: a fix-up byte (support/raw_frame.hpp; its bits 5-7
/// also move the clock by 2^n * 25 ms, n = bits 5-7, before the frame when not 0), a length byte
/// pair, then the bytes. Oracles: every frame sent passes the transmit oracle; accepted ids are
/// never handed out twice; at the end, with everything closed, every buffer is back in its pool.

#include <vector>

#include "support/byte_reader.hpp"
#include "support/fuzz_target.hpp"
#include "support/raw_frame.hpp"
#include "support/stack_rig.hpp"

namespace {

using namespace tachyon;
using namespace tachyon::fuzz;

struct echo_app {
    stack_rig* rig = nullptr;
    std::vector<tcp_id> ids;

    static echo_app& self(void* c) { return *static_cast<echo_app*>(c); }
    static void accept(void* c, tcp_id id) {
        echo_app& a = self(c);
        for (tcp_id old : a.ids) FUZZ_CHECK(old != id, "on_accept handed out id %u twice", id);
        a.ids.push_back(id);
        tcp_callbacks cb;
        cb.context = c;
        cb.on_data = [](void* c, tcp_id id, std::span<const std::byte> b) -> size_t {
            if (b.empty()) {
                (void)self(c).rig->st().tcp_close(id, self(c).rig->now());
                return 0;
            }
            return self(c).rig->st().tcp_send(id, b, self(c).rig->now()); // echo what fits
        };
        cb.on_closed = [](void* c, tcp_id id, tcp_close_reason) {
            auto& ids = self(c).ids;
            std::erase(ids, id);
        };
        (void)a.rig->st().tcp_set_callbacks(id, cb);
    }
};

} // namespace

TACHYON_FUZZ_TARGET(stack_frames) {
    byte_reader in(data, size);
    stack_rig rig(rig_config());
    stack& st = rig.st();
    echo_app app{&rig, {}};
    (void)st.tcp_listen(9000, 4, &echo_app::accept, &app);
    auto udp = st.udp_open();
    FUZZ_CHECK(udp.ok(), "udp_open failed");
    (void)st.udp_bind(*udp, ipv4_address::any(), 5000);
    (void)st.udp_on_datagram(
        *udp, [](void*, const datagram& d) { FUZZ_CHECK(d.payload.size() <= 1472, "a %zu-byte datagram", d.payload.size()); },
        nullptr);
    (void)st.udp_join(*udp, ipv4_address{239, 1, 1, 1}, ipv4_address::any(), rig.now());
    rig.collect();
    for (int n = 0; n < 256 && !in.empty(); ++n) {
        const uint8_t fix = in.u8();
        const auto bytes = in.take(in.u16() % 1515);
        if (fix >> 5) rig.advance(duration::ms(25) * (int64_t(1) << (fix >> 5)));
        (void)rig.inject(raw_frame(bytes, fix));
        rig.poll();
    }
    // Everything closed; half-opens, TIME-WAIT and ARP resolutions expire; every buffer back.
    for (const tcp_id id : std::vector<tcp_id>(app.ids)) (void)st.tcp_abort(id, rig.now());
    st.udp_close(*udp, rig.now());
    for (int i = 0; i < 12; ++i) rig.advance(duration::s(1));
    FUZZ_CHECK(app.ids.empty(), "%zu ids still open after abort", app.ids.size());
    rig.check_pools_quiet();
    rig.destroy_and_check_pools();
    return 0;
}
