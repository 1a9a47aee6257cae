#pragma once
/// TCP counters, kept per stack and incremented by the control blocks and the stack's TCP glue.

#include "stack/core/stats.hpp"

namespace tachyon {

#define TACHYON_TCP_COUNTERS(X)                                                                       \
    X(rx_segments)             /* segments that passed validation */                                  \
    X(tx_segments)             /* segments sent */                                                    \
    X(active_opens)            /* connect() calls that sent a SYN */                                  \
    X(passive_opens)           /* SYNs accepted by a listener */                                      \
    X(established)             /* connections that reached ESTABLISHED */                             \
    X(closed_normal)           /* connections closed by FIN exchange */                               \
    X(closed_reset)            /* connections reset by the peer */                                    \
    X(closed_timeout)          /* connections given up (retransmissions, keepalive, connect) */      \
    X(closed_aborted)          /* connections aborted by the application (RST sent) */               \
    X(closed_unreachable)      /* connects ended by ICMP protocol/port unreachable (RFC 1122 §4.2.3.9) */ \
    X(icmp_ignored)            /* ICMP unreachable for TCP not acted on: soft, not ours, or not SYN-SENT */ \
    X(retransmits)             /* segments retransmitted on timeout or as a tail loss probe */         \
    X(fast_retransmits)        /* segments retransmitted in fast recovery (RFC 5681 §3.2, RFC 6675; Linux TCPFastRetrans) */ \
    X(sack_recoveries)         /* recoveries driven by SACK, RFC 6675 (Linux TCPSackRecovery) */   \
    X(dsacks_received)         /* D-SACK blocks received, RFC 2883 (Linux TCPDSACKRecv) */           \
    X(loss_probes)             /* tail loss probes sent, RFC 8985 §7 (Linux TCPLossProbes) */        \
    X(loss_probe_recoveries)   /* losses repaired by a tail loss probe (Linux TCPLossProbeRecovery) */ \
    X(rto_expirations)         /* retransmission timeouts */                                          \
    X(dup_acks)                /* duplicate ACKs received */                                          \
    X(out_of_order)            /* segments kept beyond a gap */                                       \
    X(challenge_acks)          /* RFC 5961 challenge ACKs sent */                                     \
    X(tx_resets)               /* RSTs sent */                                                        \
    X(time_wait_reused)        /* TIME_WAIT connections taken over by a new SYN (RFC 6191) */         \
    X(window_probes)           /* zero-window probes sent (persist timer) */                          \
    X(keepalive_probes)        /* keepalive probes sent */                                            \
    X(retransmit_copies)       /* retransmissions that had to copy (the device still held the frame) */ \
    X(drop_truncated)          /* shorter than 20 bytes */                                            \
    X(drop_bad_header_length)  /* data offset below 5 or past the segment */                          \
    X(drop_bad_checksum)       /* checksum wrong */                                                   \
    X(drop_bad_port)           /* a port of 0 */                                                      \
    X(drop_bad_option)         /* option lengths that overrun or are wrong */                         \
    X(drop_no_connection)      /* no connection or listener: answered with RST (RFC 9293 §3.10.7.1) */ \
    X(drop_not_unicast)        /* sent to a broadcast address: TCP is unicast (RFC 1122 §4.2.3.10) */ \
    X(drop_not_acceptable)     /* outside the receive window (RFC 9293 §3.10.7.4) */                  \
    X(drop_paws)               /* an old timestamp: PAWS (RFC 7323 §5) */                             \
    X(drop_bad_ack)            /* an ACK for data never sent, or too old (RFC 5961 §5) */             \
    X(drop_rst_in_window)      /* a RST in the window but not at RCV.NXT: challenge ACK (RFC 5961 §3.2) */ \
    X(drop_syn_in_window)      /* a SYN on a synchronized connection (RFC 5961 §4) */                 \
    X(drop_no_ack)             /* a segment without ACK on a synchronized connection */               \
    X(drop_syn_backlog_full)   /* a SYN refused: the listener's backlog is full */                    \
    X(drop_table_full)         /* a SYN or connect refused: the connection table is full */           \
    X(drop_out_of_order_full)  /* a segment beyond a gap with no room to keep it */                   \
    X(drop_receive_queue_full) /* in-order data with no slot left in the receive queue (not ACKed) */ \
    X(drop_after_close)        /* data arriving after our side closed for reading */                  \
    X(challenge_acks_limited)  /* challenge ACKs not sent: over the RFC 5961 §7 limit */          \
    X(drop_released_segment)   /* a queued segment whose send queue was released in the same call (a bug if ever > 0) */ \
    X(syncookies_sent)         /* SYN-ACKs carrying a SYN cookie: the backlog was full (RFC 4987 §3.6) */ \
    X(syncookies_recv)         /* ACKs with a valid SYN cookie: connections opened from one */        \
    X(syncookies_failed)       /* ACKs at a listener sending cookies whose cookie was not valid */    \
    X(drop_listen_bad_flags)   /* at a listener: no SYN, no ACK, or SYN with FIN (RFC 9293 §3.10.7.2) */ \
    X(drop_emit_queue_full)    /* a segment a connection wanted sent, with no room left in the call's queue */

/// TCP counters.
struct tcp_stats {
    TACHYON_COUNTERS(TACHYON_TCP_COUNTERS)
};

} // namespace tachyon
