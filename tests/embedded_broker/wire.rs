//! Protocol details seen on the wire: raw bytes where a client library would hide them.

use std::time::Duration;

use bytes::BytesMut;
use rumqttc::mqttbytes::v4::{Connect, Packet as WirePacket, Publish as WirePublish, Subscribe};
use rumqttc::{LastWill, Packet, QoS};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::time::timeout;

use crate::clients::*;

pub(crate) fn encode(packet: WirePacket) -> Vec<u8> {
    let mut buffer = BytesMut::new();
    packet.write(&mut buffer, usize::MAX).unwrap();
    buffer.to_vec()
}

pub(crate) fn connect_bytes(client_id: &str, keep_alive: u16, will: Option<LastWill>) -> Vec<u8> {
    let mut connect = Connect::new(client_id);
    connect.keep_alive = keep_alive;
    connect.last_will = will;
    encode(WirePacket::Connect(connect))
}

/// Reads exactly `n` bytes.
async fn read_exact(tcp: &mut TcpStream, n: usize) -> Vec<u8> {
    let mut buffer = vec![0; n];
    timeout(WAIT, tcp.read_exact(&mut buffer))
        .await
        .expect("bytes in time")
        .expect("bytes");
    buffer
}

/// Reads until the broker closes the connection; the bytes it sent before.
async fn read_until_closed(tcp: &mut TcpStream) -> Vec<u8> {
    let mut rest = Vec::new();
    // A reset instead of a FIN also counts as closed.
    let _ = timeout(WAIT, tcp.read_to_end(&mut rest))
        .await
        .expect("the broker closes the connection");
    rest
}

#[tokio::test]
async fn mqtt5_is_refused_cleanly_and_mqtt31_is_accepted() {
    let broker = start_plain().await;
    let addr = broker.broker.plain_addr().unwrap();

    // An MQTT 5 CONNECT: name "MQTT", level 5, clean start, keep-alive 30, empty
    // properties, client id "v5".
    let v5 = [
        0x10, 15, 0, 4, b'M', b'Q', b'T', b'T', 5, 0x02, 0, 30, 0, 0, 2, b'v', b'5',
    ];
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(&v5).await.unwrap();
    let answer = read_until_closed(&mut tcp).await;
    assert_eq!(
        answer,
        [0x20, 0x02, 0x00, 0x01],
        "CONNACK: unacceptable protocol version"
    );

    // An MQTT 3.1 CONNECT ("MQIsdp", level 3) gets a successful CONNACK.
    let mut body = vec![0, 6];
    body.extend_from_slice(b"MQIsdp");
    body.extend_from_slice(&[3, 0x02, 0, 30, 0, 3]);
    body.extend_from_slice(b"v31");
    let mut v31 = vec![0x10, body.len() as u8];
    v31.extend_from_slice(&body);
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(&v31).await.unwrap();
    assert_eq!(read_exact(&mut tcp, 4).await, [0x20, 0x02, 0x00, 0x00]);
    // PINGREQ → PINGRESP, DISCONNECT → closed.
    tcp.write_all(&[0xC0, 0x00]).await.unwrap();
    assert_eq!(read_exact(&mut tcp, 2).await, [0xD0, 0x00]);
    tcp.write_all(&[0xE0, 0x00]).await.unwrap();
    assert!(read_until_closed(&mut tcp).await.is_empty());
}

#[tokio::test]
async fn keep_alive_expiry_closes_the_connection_and_publishes_the_will() {
    let (broker, mut watcher) = start_plain_watching("silent/status", QoS::AtMostOnce).await;

    // Keep-alive 1 s, then silence: the broker gives up after 1.5 s.
    let mut tcp = TcpStream::connect(broker.broker.plain_addr().unwrap())
        .await
        .unwrap();
    let will = LastWill::new("silent/status", "lost", QoS::AtMostOnce, false);
    // Taken before the CONNECT is sent, so the broker's 1.5 s can only end after it.
    let started = std::time::Instant::now();
    tcp.write_all(&connect_bytes("silent", 1, Some(will)))
        .await
        .unwrap();
    assert_eq!(read_exact(&mut tcp, 4).await, [0x20, 0x02, 0x00, 0x00]);
    assert!(read_until_closed(&mut tcp).await.is_empty());
    assert!(
        started.elapsed() >= Duration::from_millis(1450),
        "closed before 1.5 × keep-alive"
    );
    assert_eq!(watcher.next_publish().await.payload, "lost");
}

#[tokio::test]
async fn a_subscriber_that_stops_reading_is_disconnected_instead_of_buffered_forever() {
    let (broker, mut watcher) = start_plain_watching("slow/status", QoS::AtMostOnce).await;
    let addr = broker.broker.plain_addr().unwrap();

    // A subscriber with a tiny receive buffer that never reads after its SUBACK.
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut slow = socket.connect(addr).await.unwrap();
    let will = LastWill::new("slow/status", "dropped", QoS::AtMostOnce, false);
    slow.write_all(&connect_bytes("slow", 0, Some(will)))
        .await
        .unwrap();
    let mut subscribe = Subscribe::new("flood", QoS::AtMostOnce);
    subscribe.pkid = 1;
    slow.write_all(&encode(WirePacket::Subscribe(subscribe)))
        .await
        .unwrap();
    assert_eq!(read_exact(&mut slow, 4).await, [0x20, 0x02, 0x00, 0x00]);
    assert_eq!(
        read_exact(&mut slow, 5).await,
        [0x90, 0x03, 0x00, 0x01, 0x00]
    );

    // Flood until the broker gives up on the slow subscriber (its will tells us so). The
    // bound only turns a missing limit into a failure: socket buffers plus the queue fill up
    // long before it.
    let mut publisher = TcpStream::connect(addr).await.unwrap();
    publisher
        .write_all(&connect_bytes("flooder", 0, None))
        .await
        .unwrap();
    assert_eq!(
        read_exact(&mut publisher, 4).await,
        [0x20, 0x02, 0x00, 0x00]
    );
    let frame = encode(WirePacket::Publish(WirePublish::new(
        "flood",
        QoS::AtMostOnce,
        vec![0u8; 64 * 1024],
    )));
    let mut will_seen = false;
    for _ in 0..20_000 {
        publisher.write_all(&frame).await.unwrap();
        if let Ok(Packet::Publish(will)) = watcher.incoming.try_recv() {
            assert_eq!(will.payload, "dropped");
            will_seen = true;
            break;
        }
    }
    if !will_seen {
        assert_eq!(watcher.next_publish().await.payload, "dropped");
    }
}
