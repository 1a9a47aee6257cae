#pragma once
// Two stacks joined by a memory link, a client on stack a and a server on stack b listening on
// port 9000, on a manual clock: the fixture of the two-stack TCP tests.

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "stack/core/clock.hpp"
#include "stack/device/memory_link.hpp"
#include "stack/iface/stack.hpp"

namespace tachyon::pair_test {

inline const ipv4_address ip_a{198, 18, 0, 1};
inline const ipv4_address ip_b{198, 18, 0, 2};

/// One side of a test connection: collects what arrives, remembers what happened.
struct endpoint_state {
    stack* st = nullptr;
    tcp_id id = 0;
    bool connected = false;
    bool eof = false;
    bool closed = false;
    tcp_close_reason reason = tcp_close_reason::none;
    std::vector<std::byte> received;
    bool keep = true;                // store what arrives (else only hash and count it)
    uint64_t hash = 1469598103934665603ull; // FNV-1a of everything received
    size_t count = 0;
    size_t consume_limit = SIZE_MAX; // how much on_data takes per call

    tcp_callbacks callbacks() {
        tcp_callbacks cb;
        cb.context = this;
        cb.on_connected = [](void* c, tcp_id) { static_cast<endpoint_state*>(c)->connected = true; };
        cb.on_data = [](void* c, tcp_id, std::span<const std::byte> b) -> size_t {
            auto* e = static_cast<endpoint_state*>(c);
            if (b.empty()) {
                e->eof = true;
                return 0;
            }
            size_t n = std::min(b.size(), e->consume_limit);
            if (e->keep) e->received.insert(e->received.end(), b.begin(), b.begin() + n);
            for (size_t i = 0; i < n; ++i) e->hash = (e->hash ^ uint8_t(b[i])) * 1099511628211ull;
            e->count += n;
            return n;
        };
        cb.on_closed = [](void* c, tcp_id, tcp_close_reason r) {
            auto* e = static_cast<endpoint_state*>(c);
            e->closed = true;
            e->reason = r;
        };
        return cb;
    }
};

struct tcp_pair : ::testing::Test {
    /// Settings the test changes before the stacks are built (SetUp calls it).
    virtual void tweak(stack_config&) {}
    manual_clock clock;
    memory_link link{memory_link_config{.queue_capacity = 1024, .pool_size = 4096}};
    std::unique_ptr<stack> a, b;
    endpoint_state client, server;

    void SetUp() override {
        stack_config ca, cb;
        ca.address = ipv4_cidr{ip_a, 24};
        cb.address = ipv4_cidr{ip_b, 24};
        ca.secret[0] = 1;
        cb.secret[0] = 2;
        tweak(ca);
        tweak(cb);
        a = std::move(stack::create(ca, link.a()).value());
        b = std::move(stack::create(cb, link.b()).value());
        a->start(clock.now());
        b->start(clock.now());
        client.st = a.get();
        server.st = b.get();
        auto l = b->tcp_listen(9000, 16, [](void* ctx, tcp_id id) {
            auto* s = static_cast<endpoint_state*>(ctx);
            s->id = id;
            s->connected = true;
            (void)s->st->tcp_set_callbacks(id, s->callbacks());
        }, &server);
        ASSERT_TRUE(l.ok());
    }
    void run(duration total, duration step = duration::us(50)) {
        for (duration d{}; d < total; d += step) {
            clock.advance(step);
            a->poll(clock.now());
            b->poll(clock.now());
        }
    }
    void connect() {
        auto id = a->tcp_connect(ip_b, 9000, client.callbacks(), duration::s(5), clock.now());
        ASSERT_TRUE(id.ok()) << id.err().message;
        client.id = *id;
        run(duration::ms(5));
        ASSERT_TRUE(client.connected);
        ASSERT_TRUE(server.connected);
    }
};

inline std::vector<std::byte> pattern(size_t n, uint32_t seed) {
    std::vector<std::byte> v(n);
    std::mt19937 rng(seed);
    for (auto& x : v) x = std::byte(rng());
    return v;
}

} // namespace tachyon::pair_test
