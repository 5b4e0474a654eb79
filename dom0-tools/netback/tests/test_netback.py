# SPDX-License-Identifier: MIT
"""netback as a whole on the host: the ASan daemon on its sim platform,
a real xenstored, and the tests as toolstack, as netfront and as dom0's
network stack (Xen's handshake and ring layout, written from the
protocol, not from our code).  Each test reads what a front end, a
toolstack or dom0 would read."""
import os

from conftest import (PAGE, RSP_ERROR, RSP_NULL, RSP_OKAY, RXF_CSUM_BLANK, RXF_DATA_VALIDATED,
                      RXF_MORE, TXF_EXTRA, Guest, Vif, frame, wait_for)


def connected(env, domid=5, port=7, **kw):
    g = Guest(env, domid)
    v = Vif(env, g, **kw)
    v.wait_state(2)
    v.connect(tx_gref=0, rx_gref=1, port=port)
    v.wait_state(4)
    return g, v


def test_handshake_publishes_features_then_connects(env):
    g = Guest(env, 5)
    v = Vif(env, g)
    v.wait_state(2)
    assert v.key("feature-rx-copy") == "1"
    assert v.key("feature-rx-flip") == "0"
    assert v.key("feature-sg") == "1"
    assert v.key("feature-gso-tcpv4") == "1"
    assert v.key("feature-gso-tcpv6") == "1"
    assert v.key("feature-ipv6-csum-offload") == "1"
    assert v.key("multi-queue-max-queues") is None
    assert v.key("feature-split-event-channels") is None
    assert v.key("hotplug-status") == "connected"
    assert os.path.exists(f"{env.ring_dir}/vif5.0.tap")
    v.connect(0, 1, 7)
    v.wait_state(4)
    assert "rx GSO v4" in env.log()


def test_packets_both_ways(env):
    g, v = connected(env)
    # guest -> dom0: one slot, then three slots over two pages
    f1 = frame(60, 1)
    assert v.send(f1, 10, 1) == (1, RSP_OKAY)
    hdr, data = v.host_recv()
    assert hdr == (0, 0, 0, 0, 0, 0) and data == f1
    f2 = frame(6000, 2)
    g.mem[11 * PAGE + 3000:12 * PAGE] = f2[:1096]
    g.mem[12 * PAGE:13 * PAGE] = f2[1096:5192]
    g.mem[13 * PAGE:13 * PAGE + 808] = f2[5192:]
    v.tx_put(11, 3000, 4, 2, 6000, notify=False)
    v.tx_put(12, 0, 4, 3, 4096, notify=False)
    v.tx_put(13, 0, 0, 4, 808)
    assert v.tx_responses(3) == [(2, RSP_OKAY), (3, RSP_OKAY), (4, RSP_OKAY)]
    assert v.host_recv()[1] == f2
    # dom0 -> guest: a small frame and one spanning three buffers
    v.rx_post(range(20, 28))
    f3 = frame(100, 3)
    v.host_send(f3, vnet=(2, 0, 0, 0, 0, 0))        # VIRTIO_NET_HDR_F_DATA_VALID
    (r,) = v.rx_responses(1)
    assert r == (0, 0, RXF_DATA_VALIDATED, 100)
    assert g.page(20)[:100] == f3
    f4 = frame(9000, 4)
    v.host_send(f4)
    rs = v.rx_responses(3)
    assert [x[3] for x in rs] == [4096, 4096, 9000 - 8192]
    assert [x[2] for x in rs] == [RXF_MORE, RXF_MORE, 0]
    assert g.page(21) + g.page(22) + g.page(23)[:9000 - 8192] == f4


def test_checksum_offload_reaches_dom0_as_a_partial_checksum(env):
    """csum_blank from the guest becomes VIRTIO_NET_HDR_F_NEEDS_CSUM with
    the UDP checksum's place; a partial checksum from dom0 reaches the
    guest as csum_blank + data_validated."""
    g, v = connected(env)
    assert v.send(frame(200, 5), 10, 1, flags=1) == (1, RSP_OKAY)
    hdr, _ = v.host_recv()
    assert hdr == (1, 0, 0, 0, 34, 6), hdr
    v.rx_post([20])
    v.host_send(frame(200, 6), vnet=(1, 0, 0, 0, 34, 6))
    (r,) = v.rx_responses(1)
    assert r[2] == RXF_CSUM_BLANK | RXF_DATA_VALIDATED and r[3] == 200


def test_bad_packets_are_answered_and_serving_goes_on(env):
    g, v = connected(env)
    f = frame(60, 7)
    g.mem[10 * PAGE:10 * PAGE + 60] = f
    v.tx_put(10, 4090, 0, 1, 60)                    # past its page
    v.tx_put(99, 0, 0, 2, 60)                       # no such grant
    v.tx_put(10, 0, 0, 3, 8)                        # shorter than Ethernet
    v.tx_put(10, 0, TXF_EXTRA, 4, 60, notify=False)  # an extra of no type
    v.tx_put(0, 0, 0, 0, 0, raw=bytes(12))
    assert [r[1] for r in v.tx_responses(5)] == [RSP_ERROR, RSP_ERROR, RSP_ERROR, RSP_ERROR,
                                                  RSP_NULL]
    assert v.send(f, 10, 5) == (5, RSP_OKAY)
    assert v.host_recv()[1] == f                    # only the good one reached dom0
    assert "refused" in env.log()
    assert v.key("state") == "4"


def test_impossible_index_stops_that_vif_only(env):
    g1, a = connected(env, 5, 7)
    g2, b = connected(env, 6, 8)
    import struct
    struct.pack_into("<I", g1.mem, 0, 1000)         # tx req_prod far past the ring
    a.kick()
    a.wait_state(5)                                 # netfront would close it
    assert "impossible" in env.log()
    f = frame(80, 9)
    assert b.send(f, 10, 1) == (1, RSP_OKAY)
    assert b.host_recv()[1] == f


def test_bad_ring_ref_closes_that_vif_only(env):
    g = Guest(env, 5, pages=4)
    v = Vif(env, g)
    v.wait_state(2)
    v.connect(tx_gref=0, rx_gref=77, port=7)        # a page the guest does not have
    v.wait_state(5)
    g2, b = connected(env, 6, 8)
    assert b.send(frame(60), 2, 1) == (1, RSP_OKAY)


def test_kill_9_and_restart_resumes_both_rings(env):
    """Requests posted while no netback runs (unanswered tx, posted rx
    buffers) are served by the next one; the TAP comes back by name."""
    g, v = connected(env)
    f1 = frame(70, 1)
    assert v.send(f1, 10, 1) == (1, RSP_OKAY)
    assert v.host_recv()[1] == f1
    v.rx_post(range(20, 24))
    env.kill_netback()
    f2 = frame(90, 2)
    g.mem[11 * PAGE:11 * PAGE + 90] = f2
    v.tx_put(11, 0, 0, 2, 90)                       # nobody to tell
    env.start_netback()
    assert v.tx_responses(1) == [(2, RSP_OKAY)]
    assert v.host_recv()[1] == f2
    f3 = frame(100, 3)
    v.host_send(f3)
    (r,) = v.rx_responses(1)
    assert r[3] == 100 and g.page(20)[:100] == f3
    assert v.key("state") == "4"


def test_sigterm_keeps_the_tap_and_removal_takes_it(env, tmp_path):
    log = tmp_path / "script.log"
    script = tmp_path / "vif-script"
    script.write_text(f"#!/bin/sh\necho \"$1 $vif $bridge $mac\" >> {log}\n")
    script.chmod(0o755)
    g, v = connected(env, script=str(script))
    assert log.read_text() == "online vif5.0 xenbr0 00:16:3e:00:00:42\n"
    env.bb.stop()
    assert os.path.exists(f"{env.ring_dir}/vif5.0.tap")
    assert v.key("state") == "4"
    env.start_netback()
    assert v.send(frame(60), 10, 1) == (1, RSP_OKAY)
    env.xs.rm(v.be)
    wait_for(lambda: "vif-5-0: removed" in env.log(), 10, "removal")
    assert not os.path.exists(f"{env.ring_dir}/vif5.0.tap")
    assert log.read_text().splitlines()[-1] == "offline vif5.0 xenbr0 00:16:3e:00:00:42"


def test_two_guests_do_not_see_each_others_packets(env):
    g1, a = connected(env, 5, 7)
    g2, b = connected(env, 6, 8)
    fa, fb = frame(64, 1), frame(64, 2)
    assert a.send(fa, 10, 1) == (1, RSP_OKAY)
    assert b.send(fb, 10, 1) == (1, RSP_OKAY)
    assert a.host_recv()[1] == fa and b.host_recv()[1] == fb


def test_a_failing_hotplug_script_closes_the_vif_and_leaves_no_tap(env, tmp_path):
    script = tmp_path / "no-bridge"
    script.write_text("#!/bin/sh\n[ \"$1\" = offline ] && exit 0\necho no bridge >&2\nexit 1\n")
    script.chmod(0o755)
    g = Guest(env, 5)
    v = Vif(env, g, script=str(script))
    v.wait_state(6)
    assert v.key("hotplug-status") == "error"
    # (each watch event on the closed device may try again; each try
    # that fails takes its TAP away again)
    wait_for(lambda: "vif5.0 removed" in env.log(), 10, "TAP removed")
    wait_for(lambda: not os.path.exists(f"{env.ring_dir}/vif5.0.tap"), 10, "no TAP")
