//! Robustness: arbitrary bytes never panic or hang the broker.

use std::sync::atomic::{AtomicBool, Ordering};

use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, TestRunner};
use rumqttc::mqttbytes::v4::{Packet as WirePacket, Publish as WirePublish, Subscribe};
use rumqttc::{LastWill, QoS};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

use crate::clients::*;
use crate::wire::{connect_bytes, encode};

/// Name of the worker threads of the runtime the fuzzed broker runs on, so the panic hook
/// can tell a broker panic from anything else in this test binary.
const FUZZED_BROKER_THREAD: &str = "fuzzed-broker";
static FUZZED_BROKER_PANICKED: AtomicBool = AtomicBool::new(false);

fn record_broker_panics() {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if std::thread::current().name() == Some(FUZZED_BROKER_THREAD) {
                FUZZED_BROKER_PANICKED.store(true, Ordering::SeqCst);
            }
            previous(info);
        }));
    });
}

/// A valid session opening (CONNECT, SUBSCRIBE, PUBLISH) to mutate: random flips inside
/// well-formed packets reach much deeper into the decoder than pure noise.
fn valid_session_bytes() -> Vec<u8> {
    let mut bytes = connect_bytes(
        "fuzz",
        30,
        Some(LastWill::new("fuzz/will", "w", QoS::AtLeastOnce, true)),
    );
    let mut subscribe = Subscribe::new("fuzz/#", QoS::AtLeastOnce);
    subscribe.pkid = 7;
    bytes.extend(encode(WirePacket::Subscribe(subscribe)));
    let mut publish = WirePublish::new("fuzz/a", QoS::AtLeastOnce, b"payload".to_vec());
    publish.pkid = 9;
    publish.retain = true;
    bytes.extend(encode(WirePacket::Publish(publish)));
    bytes.extend([0xC0, 0x00]);
    bytes
}

fn fuzz_input() -> impl Strategy<Value = Vec<u8>> {
    let session = valid_session_bytes();
    let connect = connect_bytes("fuzz", 30, None);
    let session_len = session.len();
    prop_oneof![
        // Pure noise.
        proptest::collection::vec(any::<u8>(), 0..512),
        // A good CONNECT, then noise.
        proptest::collection::vec(any::<u8>(), 0..512).prop_map(move |noise| {
            let mut bytes = connect.clone();
            bytes.extend(noise);
            bytes
        }),
        // A good session with some bytes overwritten.
        proptest::collection::vec((0..session_len, any::<u8>()), 1..6).prop_map(move |flips| {
            let mut bytes = session.clone();
            for (index, value) in flips {
                if let Some(byte) = bytes.get_mut(index) {
                    *byte = value;
                }
            }
            bytes
        }),
    ]
}

#[test]
fn arbitrary_bytes_never_panic_or_hang_the_broker() {
    record_broker_panics();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name(FUZZED_BROKER_THREAD)
        .enable_all()
        .build()
        .unwrap();
    let broker = runtime.block_on(start_plain());
    let addr = broker.broker.plain_addr().unwrap();

    let mut runner = TestRunner::new(ProptestConfig {
        cases: 192,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    runner
        .run(&fuzz_input(), |bytes| {
            let closed = runtime.block_on(async {
                let mut tcp = TcpStream::connect(addr).await.unwrap();
                // The broker may close early and make these fail: that is fine.
                let _ = tcp.write_all(&bytes).await;
                let _ = tcp.shutdown().await;
                let mut sink = Vec::new();
                timeout(WAIT, tcp.read_to_end(&mut sink)).await.is_ok()
            });
            prop_assert!(
                closed,
                "the broker must close a connection whose peer hung up"
            );
            prop_assert!(
                !FUZZED_BROKER_PANICKED.load(Ordering::SeqCst),
                "broker task panicked"
            );
            Ok(())
        })
        .unwrap();

    // Still a working broker afterwards.
    runtime.block_on(async {
        let mut client = TestClient::connect(plain_options("after-fuzz", addr.port())).await;
        client.subscribe("after/#", QoS::AtLeastOnce).await;
        client.publish_acked("after/fuzz", b"alive", false).await;
        assert_eq!(client.next_publish().await.payload, "alive");
    });
    assert!(!FUZZED_BROKER_PANICKED.load(Ordering::SeqCst));
    drop(broker);
}
