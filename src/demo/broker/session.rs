//! What a connected client's packets do: PUBLISH routed (with its acknowledgement, and QoS 2
//! received once), SUBSCRIBE granted at most QoS 1 with the retained messages that match,
//! UNSUBSCRIBE, PINGREQ, and the packets only a server may send refused.
//!
//! Synchronous on purpose: it fills a list of packets to write and leaves the socket to the
//! packet loop in [`super::connection`].

use std::collections::HashSet;

use bytes::BytesMut;
use rumqttc::mqttbytes::v4::{
    Packet, PubAck, PubComp, PubRec, Publish, SubAck, SubscribeReasonCode, UnsubAck,
};
use rumqttc::mqttbytes::{self, PacketType, QoS};

use super::connection::{Exit, ProtocolError};
use super::router::{self, ConnectionId, Outgoing};
use super::{MAX_PACKET_SIZE, Shared};

/// Whether the connection loop keeps going after a batch of packets.
pub(super) enum Flow {
    Continue,
    Disconnect,
}

/// One connected client, as seen by its connection task.
pub(super) struct ClientSession<'a> {
    client_id: &'a str,
    connection: ConnectionId,
    shared: &'a Shared,
    /// Last packet id used for a QoS 1 delivery to this client.
    next_packet_id: u16,
    /// QoS 2 packet ids received but not yet released: a re-sent PUBLISH with one of these
    /// ids is not routed twice.
    awaiting_release: HashSet<u16>,
    /// Packets waiting to be written, in order.
    pub(super) out: Vec<Packet>,
}

impl<'a> ClientSession<'a> {
    pub(super) fn new(
        client_id: &'a str,
        connection: ConnectionId,
        shared: &'a Shared,
    ) -> ClientSession<'a> {
        ClientSession {
            client_id,
            connection,
            shared,
            next_packet_id: 0,
            awaiting_release: HashSet::new(),
            out: Vec::new(),
        }
    }

    pub(super) fn kicked(&self) -> Exit {
        if self.shared.shutdown.is_cancelled() {
            Exit::Shutdown
        } else {
            Exit::Unclean("closed by the broker (taken over or too slow)")
        }
    }

    /// Handles every complete packet in `inbuf`, leaving a trailing partial one there.
    pub(super) fn handle_buffered(&mut self, inbuf: &mut BytesMut) -> Result<Flow, ProtocolError> {
        loop {
            let packet = match Packet::read(inbuf, MAX_PACKET_SIZE) {
                Ok(packet) => packet,
                Err(mqttbytes::Error::InsufficientBytes(_)) => return Ok(Flow::Continue),
                Err(error) => return Err(error.into()),
            };
            if let Flow::Disconnect = self.handle(packet)? {
                return Ok(Flow::Disconnect);
            }
        }
    }

    fn handle(&mut self, packet: Packet) -> Result<Flow, ProtocolError> {
        match packet {
            Packet::Publish(publish) => self.handle_publish(publish)?,
            Packet::PubRel(release) => {
                self.awaiting_release.remove(&release.pkid);
                self.out.push(Packet::PubComp(PubComp::new(release.pkid)));
            }
            // Acknowledgements of our QoS 1 deliveries: nothing is kept for redelivery.
            Packet::PubAck(_) | Packet::PubComp(_) | Packet::PubRec(_) => {}
            Packet::Subscribe(subscribe) => {
                let mut codes = Vec::with_capacity(subscribe.filters.len());
                let mut retained = Vec::new();
                for filter in subscribe.filters {
                    if !router::valid_filter(&filter.path) {
                        tracing::info!(filter = filter.path.as_str(), "invalid topic filter");
                        codes.push(SubscribeReasonCode::Failure);
                        continue;
                    }
                    // QoS 2 is granted as 1: outbound exactly-once is not implemented.
                    let granted = router::lower_qos(filter.qos, QoS::AtLeastOnce);
                    let accepted = self.shared.router().subscribe(
                        self.client_id,
                        self.connection,
                        &filter.path,
                        granted,
                    );
                    match accepted {
                        Some(matching) => {
                            retained.extend(matching);
                            codes.push(SubscribeReasonCode::Success(granted));
                        }
                        None => codes.push(SubscribeReasonCode::Failure),
                    }
                }
                self.out
                    .push(Packet::SubAck(SubAck::new(subscribe.pkid, codes)));
                for message in retained {
                    self.push_outgoing(message);
                }
            }
            Packet::Unsubscribe(unsubscribe) => {
                let mut router = self.shared.router();
                for filter in &unsubscribe.topics {
                    router.unsubscribe(self.client_id, self.connection, filter);
                }
                drop(router);
                self.out
                    .push(Packet::UnsubAck(UnsubAck::new(unsubscribe.pkid)));
            }
            Packet::PingReq => self.out.push(Packet::PingResp),
            Packet::Disconnect => return Ok(Flow::Disconnect),
            Packet::Connect(_) => return Err(ProtocolError::SecondConnect),
            Packet::ConnAck(_) => return Err(ProtocolError::ServerOnlyPacket(PacketType::ConnAck)),
            Packet::SubAck(_) => return Err(ProtocolError::ServerOnlyPacket(PacketType::SubAck)),
            Packet::UnsubAck(_) => {
                return Err(ProtocolError::ServerOnlyPacket(PacketType::UnsubAck));
            }
            Packet::PingResp => {
                return Err(ProtocolError::ServerOnlyPacket(PacketType::PingResp));
            }
        }
        Ok(Flow::Continue)
    }

    fn handle_publish(&mut self, publish: Publish) -> Result<(), ProtocolError> {
        if !router::valid_topic_name(&publish.topic) {
            return Err(ProtocolError::InvalidTopic(publish.topic));
        }
        let route = match publish.qos {
            QoS::AtMostOnce => true,
            QoS::AtLeastOnce => {
                self.out.push(Packet::PubAck(PubAck::new(publish.pkid)));
                true
            }
            QoS::ExactlyOnce => {
                self.out.push(Packet::PubRec(PubRec::new(publish.pkid)));
                self.awaiting_release.insert(publish.pkid)
            }
        };
        if route {
            self.shared.router().publish(
                &publish.topic,
                publish.payload,
                publish.qos,
                publish.retain,
            );
        }
        Ok(())
    }

    /// Queues a delivery, giving QoS 1 messages the next packet id (never 0).
    pub(super) fn push_outgoing(&mut self, message: Outgoing) {
        let mut publish = Publish::from_bytes(message.topic, message.qos, message.payload);
        publish.retain = message.retain;
        if message.qos != QoS::AtMostOnce {
            self.next_packet_id = self.next_packet_id.checked_add(1).unwrap_or(1);
            publish.pkid = self.next_packet_id;
        }
        self.out.push(Packet::Publish(publish));
    }
}
