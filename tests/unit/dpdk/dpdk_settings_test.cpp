/// The DPDK keys' defaults (api/device_settings.hpp) are the DPDK device's own.

#include <gtest/gtest.h>

#include "api/device_settings.hpp"
#include "stack/device/dpdk/dpdk_device.hpp"

namespace tachyon {
namespace {

TEST(dpdk_settings, default_as_the_dpdk_device_does) {
    const dpdk_settings s;
    const dpdk_config d;
    EXPECT_EQ(s.rx_descriptors, d.rx_descriptors);
    EXPECT_EQ(s.tx_descriptors, d.tx_descriptors);
    EXPECT_EQ(s.mbufs, d.mbufs);
    EXPECT_EQ(s.mtu, d.mtu);
    EXPECT_EQ(s.offloads, d.offloads);
}

} // namespace
} // namespace tachyon
