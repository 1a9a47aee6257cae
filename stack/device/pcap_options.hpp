#pragma once
/// What a user chooses about packet capture (`--pcap-format`, `--pcap-snaplen`,
/// `--pcap-rotate`): plain values, so the shared command line declares them with no
/// dependency on the writer.

#include <cstdint>
#include <string>

#include "stack/device/capture_format.hpp"

namespace tachyon {

/// How `pcap_writer` records frames.
struct pcap_options {
    capture_format format = capture_format::pcapng; ///< --pcap-format pcap|pcapng
    uint32_t snaplen = 0;       ///< --pcap-snaplen N: bytes kept per frame (0: the whole frame)
    uint64_t rotate_bytes = 0;  ///< --pcap-rotate MB, in bytes: start a new file past this (0: one file)
    std::string interface_name; ///< pcapng if_name of the interface (empty: none)
};

} // namespace tachyon
