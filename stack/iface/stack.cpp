#include "stack/iface/stack.hpp"

#include "stack/core/log.hpp"
#include "stack/core/stats.hpp"

namespace tachyon {

namespace {

// The IGMP random delays differ between hosts (so reports do not collide) yet repeat in tests.
uint64_t seed_from(const mac_address& mac) {
    uint64_t seed = 0x7ac4'0a11'5eed'0000ull;
    for (uint8_t b : mac.bytes) seed = seed * 131 + b;
    return seed;
}

// The SYN cookie key: the stack's secret hashed apart from the ISN key (RFC 4987 §3.6 wants
// cookies unforgeable; sharing the ISN's key would tie the two outputs together).
siphash_key cookie_key(const std::array<uint8_t, 16>& secret) {
    const siphash_key k = siphash_key::from_bytes(std::as_bytes(std::span(secret)));
    constexpr std::array<std::byte, 8> label{std::byte{'c'}, std::byte{'o'}, std::byte{'o'}, std::byte{'k'},
                                             std::byte{'i'}, std::byte{'e'}, std::byte{'s'}, std::byte{0}};
    return siphash_key{siphash24(k, label), siphash24(siphash_key{k.k1, k.k0}, label)};
}

} // namespace

result<std::unique_ptr<stack>> stack::create(const stack_config& config, device& dev, stack_stats* counters) {
    if (auto ok = config.validate(); !ok) return ok.err();
    auto st = std::make_unique<stack>(config, dev, counters);
    for (const auto& e : config.static_arp) {
        if (auto ok = st->_arp.add_static(e.ip, e.mac); !ok) return ok.err();
    }
    return st;
}

stack::stack(const stack_config& config, device& dev, stack_stats* counters)
    : _config(config),
      _dev(dev),
      _caps(dev.capabilities()),
      _mac(config.mac ? *config.mac : _caps.mac),
      _own_stats(counters ? nullptr : std::make_unique<stack_stats>()),
      _stats(counters ? *counters : *_own_stats),
      _arp(config.arp),
      _udp(config.udp_sockets, config.udp_queue, config.multicast.memberships_per_socket),
      _igmp(config.multicast, seed_from(_mac)),
      // The TCBs keep a reference to the settings: the member, not the argument.
      _tcp(*this, _config, _stats.tcp, _wheel, _caps, siphash_key::from_bytes(std::as_bytes(std::span(config.secret))),
           cookie_key(config.secret)),
      _wheel(instant{}),
      _icmp_tokens_milli(uint64_t(config.icmp_error_burst) * 1000),
      _rx(config.rx_burst),
      _tx(config.tx_queue) {
    // RFC 7739 §5.4: IPv4 IDs from a table of counters picked by a keyed hash of the
    // destination, each starting at a random value, so that no one can predict them or count
    // our traffic to others by watching the IDs sent to them.
    const siphash_key k = cookie_key(config.secret);
    _ip_id_key = uint32_t(k.k0 >> 32) | 1;
    uint64_t x = k.k1;
    for (auto& counter : _ip_id_counters) { // splitmix64 steps
        x += 0x9e3779b97f4a7c15ull;
        uint64_t z = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        counter = uint16_t(z ^ (z >> 31));
    }
}

stack::~stack() {
    // Frames still queued go out rather than vanish.
    flush_tx();
}

void stack::start(instant now) {
    _now = now;
    // RFC 5227 §2.3: announce our address with an ARP request whose sender and target
    // protocol addresses are both ours, so that neighbours refresh stale entries.
    send_arp_request(_config.address.address, mac_address::broadcast(), mac_address::zero());
    log().info("stack: {} at {} on the wire", _config.address.to_string(), _mac.to_string());
    if (_config.gateway) {
        auto kind = _arp.resolve(*_config.gateway, now);
        send_arp_request(*_config.gateway, kind, nullptr);
        _gateway_next_request = now + _config.gateway_retry;
        _started = now;
        log().info("stack: resolving gateway {}", _config.gateway->to_string());
    }
    flush_tx();
}

size_t stack::poll(instant now) { return process(_dev.rx_burst(_rx), now); }

size_t stack::process(size_t n, instant now) {
    _now = now;
    tx_batch batch(*this, now); // what the iteration queues leaves in one burst at its end
    // The pcap decorator records received frames with this receive time, before the layers
    // read them (a reply may be written over the request in place).
    if (_caps.rx_time_hook && n > 0) [[unlikely]]
        _dev.on_rx_time(std::span<const packet>(_rx.data(), n), now);
    for (size_t i = 0; i < n; ++i) {
        // The layers take the frame by rvalue and may keep it (a reply, a queue) or leave it
        // here, where it goes back to its pool at the end of the iteration.
        packet frame = std::move(_rx[i]);
        frame.set_rx_time(now);
        ethernet_input(std::move(frame), now);
    }
    if (!_loopback.empty()) [[unlikely]]
        udp_drain_loopback();
    run_timers(now);
    return n;
}

void stack::run_timers(instant now) {
    // Nothing due, the common case: four compares, and the work below stays out of line.
    if (now < _arp.next_deadline() && !_wheel.may_expire(now) && now < _igmp.next_deadline() &&
        (_gateway_resolved || now < _gateway_next_request)) [[likely]]
        return;
    run_due_timers(now);
}

void stack::run_due_timers(instant now) {
    if (now >= _arp.next_deadline()) [[unlikely]] {
        _arp.on_timer(now, [&](ipv4_address ip) { send_arp_request(ip, mac_address::broadcast(), mac_address::zero()); });
    }
    if (_wheel.may_expire(now)) [[unlikely]] // every timer on the wheel is TCP's
        _tcp.expire_timers(now);
    if (now >= _igmp.next_deadline()) [[unlikely]]
        _igmp.on_timer(now, [&](const igmp_output& m) { send_igmp(m); });
    if (!_gateway_resolved && now >= _gateway_next_request) [[unlikely]] {
        if (gateway_mac(now) != nullptr) {
            _gateway_resolved = true;
            _gateway_next_request = instant::never();
            log().info("stack: gateway {} is at {}", _config.gateway->to_string(), gateway_mac(now)->to_string());
        } else {
            // The gateway carries every off-link packet: keep asking until it answers. The
            // cache retries an incomplete entry itself; once it gives up, start over.
            send_arp_request(*_config.gateway, _arp.resolve(*_config.gateway, now), nullptr);
            if (!_gateway_warned && now - _started >= duration::s(3)) {
                log().warn("stack: gateway {} does not answer ARP yet; still asking", _config.gateway->to_string());
                _gateway_warned = true;
            }
            _gateway_next_request = now + _config.gateway_retry;
        }
    }
}

instant stack::next_deadline() const {
    instant t = _arp.next_deadline();
    if (_gateway_next_request < t) t = _gateway_next_request;
    if (_igmp.next_deadline() < t) t = _igmp.next_deadline();
    if (_wheel.next_deadline() < t) t = _wheel.next_deadline();
    return t;
}

const mac_address* stack::gateway_mac(instant now) const {
    if (!_config.gateway) return nullptr;
    return _arp.peek(*_config.gateway, now);
}

packet stack::alloc_frame() {
    if (_spare_count == 0) [[unlikely]] {
        _spare_count = _dev.alloc_burst(_spare);
        if (_spare_count == 0) {
            TACHYON_DROP(_stats.tx.drop_no_buffer);
            return packet{};
        }
    }
    return std::move(_spare[--_spare_count]);
}

void stack::transmit(packet&& frame) {
    if (_tx_count == _tx.size()) [[unlikely]]
        flush_tx();
    _tx[_tx_count++] = std::move(frame);
    // Latency beats batching: a send made outside any batch leaves at once.
    if (_batch_depth == 0) flush_tx();
}

void stack::flush_batch() {
    _tcp.flush_dirty(_batch_now);
    flush_tx();
}

void stack::flush_tx() {
    if (_tx_count > 0) {
        size_t sent = _dev.tx_burst(std::span(_tx.data(), _tx_count));
        _stats.tx.frames += sent;
        for (size_t i = sent; i < _tx_count; ++i) {
            TACHYON_DROP(_stats.tx.drop_device_full);
            _tx[i].reset();
        }
        _tx_count = 0;
    }
    _dev.flush();
}

std::string stack::stats_json() const {
    json_writer w;
    report(w);
    return w.finish();
}

void stack::report(json_writer& w) const {
    w.section("device", _dev.stats());
    _dev.report(w);
    w.section("ethernet", _stats.ethernet);
    w.section("arp", _stats.arp);
    w.section("arp_cache", _arp.stats());
    w.section("ipv4", _stats.ipv4);
    w.section("icmp", _stats.icmp);
    w.section("udp", _stats.udp);
    w.section("igmp", _igmp.stats());
    w.section("tcp", _stats.tcp);
    w.section("tx", _stats.tx);
}

} // namespace tachyon
