//! The first packet of a connection: reading the CONNECT off the wire and deciding on it
//! (protocol 3.1.1 or 3.1, MQTT 5 refused with "unacceptable protocol version", a nameless
//! persistent session refused, the will checked).
//!
//! Apart from the packet loop because it is pure parsing of bytes LG's and Home Assistant's
//! clients send, tested here against hand-built frames.

use bytes::{Buf, Bytes, BytesMut};
use rumqttc::mqttbytes::v4::{ConnectReturnCode, LastWill};
use rumqttc::mqttbytes::{self, PacketType};
use tokio::io::{AsyncRead, AsyncReadExt};

use super::MAX_PACKET_SIZE;
use super::connection::ProtocolError;
use super::router;

/// What a CONNECT asks for. User name and password are checked for form and then dropped.
pub(super) struct ConnectRequest {
    pub(super) client_id: String,
    pub(super) keep_alive: u16,
    pub(super) will: Option<LastWill>,
}

/// A well-formed CONNECT is either accepted or answered with a refusal code.
pub(super) enum ConnectOutcome {
    Accept(ConnectRequest),
    Refuse(ConnectReturnCode),
}

/// Reads until one whole packet is buffered and parses it as CONNECT.
pub(super) async fn read_connect<S>(
    stream: &mut S,
    inbuf: &mut BytesMut,
) -> Result<ConnectOutcome, ProtocolError>
where
    S: AsyncRead + Unpin,
{
    loop {
        match mqttbytes::check(inbuf.iter(), MAX_PACKET_SIZE) {
            Ok(header) => {
                let packet_type = header.packet_type()?;
                if packet_type != PacketType::Connect {
                    return Err(mqttbytes::Error::NotConnect(packet_type).into());
                }
                let frame = inbuf.split_to(header.frame_length()).freeze();
                return parse_connect(frame);
            }
            Err(mqttbytes::Error::InsufficientBytes(_)) => {}
            Err(error) => return Err(error.into()),
        }
        inbuf.reserve(1024);
        if stream.read_buf(inbuf).await? == 0 {
            return Err(ProtocolError::Closed);
        }
    }
}

/// Parses a whole CONNECT frame (fixed header included).
///
/// Parsed here instead of with `rumqttc`'s `Connect::read`, which knows only the "MQTT" name
/// and would misread an MQTT 5 CONNECT (it has properties) as 3.1.1.
fn parse_connect(mut frame: Bytes) -> Result<ConnectOutcome, ProtocolError> {
    use mqttbytes::Error::{IncorrectPacketFormat, InvalidProtocol, MalformedPacket};
    // Fixed header: one type byte, then a remaining length whose bytes have the high bit set
    // except the last one (`check` has validated it).
    let _type = take_u8(&mut frame)?;
    while take_u8(&mut frame)? & 0x80 != 0 {}

    let protocol_name = take_string(&mut frame)?;
    let level = take_u8(&mut frame)?;
    match (protocol_name.as_str(), level) {
        ("MQTT", 4) | ("MQIsdp", 3) => {}
        // MQTT 5 (or anything newer): the 3.1.1 answer is "unacceptable protocol version",
        // which MQTT 5 clients understand and fall back on.
        ("MQTT" | "MQIsdp", _) => {
            return Ok(ConnectOutcome::Refuse(
                ConnectReturnCode::RefusedProtocolVersion,
            ));
        }
        _ => return Err(InvalidProtocol.into()),
    }
    let flags = take_u8(&mut frame)?;
    if flags & 0b0000_0001 != 0 {
        return Err(IncorrectPacketFormat.into()); // reserved bit (MQTT-3.1.2-3)
    }
    let clean_session = flags & 0b0000_0010 != 0;
    let keep_alive = take_u16(&mut frame)?;
    let client_id = take_string(&mut frame)?;

    let will = if flags & 0b0000_0100 != 0 {
        let topic = take_string(&mut frame)?;
        let message = take_bytes(&mut frame)?;
        let qos = mqttbytes::qos((flags >> 3) & 0b11)?;
        if !router::valid_topic_name(&topic) {
            return Err(ProtocolError::InvalidTopic(topic));
        }
        Some(LastWill {
            topic,
            message,
            qos,
            retain: flags & 0b0010_0000 != 0,
        })
    } else if flags & 0b0011_1000 != 0 {
        return Err(IncorrectPacketFormat.into()); // will QoS/retain without a will
    } else {
        None
    };
    if flags & 0b1000_0000 != 0 {
        take_string(&mut frame)?; // user name
    }
    if flags & 0b0100_0000 != 0 {
        take_bytes(&mut frame)?; // password
    }
    if frame.has_remaining() {
        return Err(MalformedPacket.into());
    }
    if client_id.is_empty() && !clean_session {
        // A persistent session needs a name (MQTT-3.1.3-8).
        return Ok(ConnectOutcome::Refuse(ConnectReturnCode::BadClientId));
    }
    Ok(ConnectOutcome::Accept(ConnectRequest {
        client_id,
        keep_alive,
        will,
    }))
}

fn take_u8(bytes: &mut Bytes) -> Result<u8, mqttbytes::Error> {
    if bytes.remaining() < 1 {
        return Err(mqttbytes::Error::MalformedPacket);
    }
    Ok(bytes.get_u8())
}

fn take_u16(bytes: &mut Bytes) -> Result<u16, mqttbytes::Error> {
    if bytes.remaining() < 2 {
        return Err(mqttbytes::Error::MalformedPacket);
    }
    Ok(bytes.get_u16())
}

/// A two-byte length followed by that many bytes.
fn take_bytes(bytes: &mut Bytes) -> Result<Bytes, mqttbytes::Error> {
    let len = usize::from(take_u16(bytes)?);
    if bytes.remaining() < len {
        return Err(mqttbytes::Error::BoundaryCrossed(len));
    }
    Ok(bytes.split_to(len))
}

fn take_string(bytes: &mut Bytes) -> Result<String, mqttbytes::Error> {
    let raw = take_bytes(bytes)?;
    String::from_utf8(raw.to_vec()).map_err(|_| mqttbytes::Error::TopicNotUtf8)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rumqttc::mqttbytes::QoS;

    /// Builds a CONNECT frame by hand, so the parser is tested against the wire format and
    /// not against another parser.
    fn connect_frame(name: &str, level: u8, flags: u8, client_id: &str, tail: &[u8]) -> Bytes {
        let mut body = Vec::new();
        body.extend_from_slice(&(name.len() as u16).to_be_bytes());
        body.extend_from_slice(name.as_bytes());
        body.push(level);
        body.push(flags);
        body.extend_from_slice(&30u16.to_be_bytes());
        body.extend_from_slice(&(client_id.len() as u16).to_be_bytes());
        body.extend_from_slice(client_id.as_bytes());
        body.extend_from_slice(tail);
        let mut frame = vec![0x10, body.len() as u8];
        frame.extend_from_slice(&body);
        Bytes::from(frame)
    }

    #[test]
    fn accepts_mqtt_311_and_31_with_will_and_credentials() {
        let ConnectOutcome::Accept(request) =
            parse_connect(connect_frame("MQTT", 4, 0x02, "c1", &[])).unwrap()
        else {
            panic!("3.1.1 refused")
        };
        assert_eq!(request.client_id, "c1");
        assert_eq!(request.keep_alive, 30);

        // Will (QoS 1, retained) + username + password, protocol 3.1.
        let mut tail = Vec::new();
        for field in [&b"w/t"[..], b"gone", b"user", b"pw"] {
            tail.extend_from_slice(&(field.len() as u16).to_be_bytes());
            tail.extend_from_slice(field);
        }
        let flags = 0x80 | 0x40 | 0x20 | 0x08 | 0x04 | 0x02;
        let ConnectOutcome::Accept(request) =
            parse_connect(connect_frame("MQIsdp", 3, flags, "c2", &tail)).unwrap()
        else {
            panic!("3.1 refused")
        };
        let will = request.will.unwrap();
        assert_eq!(
            (
                will.topic.as_str(),
                &will.message[..],
                will.qos,
                will.retain
            ),
            ("w/t", &b"gone"[..], QoS::AtLeastOnce, true)
        );
    }

    #[test]
    fn refuses_mqtt5_and_nameless_persistent_sessions_and_rejects_garbage() {
        assert!(matches!(
            parse_connect(connect_frame("MQTT", 5, 0x02, "c", &[0])).unwrap(),
            ConnectOutcome::Refuse(ConnectReturnCode::RefusedProtocolVersion)
        ));
        assert!(matches!(
            parse_connect(connect_frame("MQTT", 4, 0x00, "", &[])).unwrap(),
            ConnectOutcome::Refuse(ConnectReturnCode::BadClientId)
        ));
        assert!(parse_connect(connect_frame("HTTP", 4, 0x02, "c", &[])).is_err());
        assert!(parse_connect(connect_frame("MQTT", 4, 0x03, "c", &[])).is_err());
        // Will QoS bits without the will flag.
        assert!(parse_connect(connect_frame("MQTT", 4, 0x0A, "c", &[])).is_err());
        // A will announced but missing.
        assert!(parse_connect(connect_frame("MQTT", 4, 0x06, "c", &[])).is_err());
        // Trailing bytes after the last field.
        assert!(parse_connect(connect_frame("MQTT", 4, 0x02, "c", &[1, 2])).is_err());
    }
}
