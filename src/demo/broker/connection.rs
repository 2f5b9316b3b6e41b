//! One connection's packet loop: from the CONNECT to the end of the connection, reading
//! packets, writing what they call for in batches, delivering the client's queue, watching
//! the keep-alive, and publishing the client's will when it goes without a DISCONNECT.
//!
//! Apart from [`super::session`], which decides what each packet does, so that this file is
//! only about timing and I/O: what wakes the loop, when it writes, why it ends.

use std::time::Duration;

use bytes::BytesMut;
use rumqttc::mqttbytes::v4::{ConnAck, ConnectReturnCode, Packet};
use rumqttc::mqttbytes::{self, PacketType};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until, timeout};

use super::connect::{ConnectOutcome, ConnectRequest, read_connect};
use super::session::{ClientSession, Flow};
use super::{CONNECT_TIMEOUT, OUTGOING_QUEUE_LEN, Shared, WRITE_BATCH};

/// Why a connection ended; decides whether the client's will is published.
#[derive(Debug)]
pub(super) enum Exit {
    /// The client sent DISCONNECT: the will is discarded (MQTT-3.14.4-3).
    Disconnected,
    /// The broker is shutting down: nobody is left to read a will.
    Shutdown,
    /// Everything else (EOF, I/O error, protocol error, keep-alive expiry, kicked).
    Unclean(&'static str),
}

impl Exit {
    fn reason(&self) -> &'static str {
        match self {
            Exit::Disconnected => "sent DISCONNECT",
            Exit::Shutdown => "broker shutting down",
            Exit::Unclean(reason) => reason,
        }
    }
}

/// Serves one MQTT connection over any byte stream (TCP or TLS).
pub(super) async fn serve<S>(mut stream: S, shared: &Shared)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut inbuf = BytesMut::with_capacity(4096);
    let Some(request) = admit(&mut stream, &mut inbuf, shared).await else {
        return;
    };
    let client_id = request.client_id;
    let (queue, mut queued) = mpsc::channel(OUTGOING_QUEUE_LEN);
    let kick = shared.shutdown.child_token();
    let connection = shared
        .router()
        .connect(&client_id, queue, kick.clone(), request.will);
    tracing::info!(
        client_id = client_id.as_str(),
        keep_alive = request.keep_alive,
        "MQTT client connected"
    );

    let mut session = ClientSession::new(&client_id, connection, shared);
    session.out.push(Packet::ConnAck(ConnAck::new(
        ConnectReturnCode::Success,
        false,
    )));

    // Keep-alive: the client must send something within 1.5 × its interval (MQTT-3.1.2-24).
    let keep_alive = (request.keep_alive > 0)
        .then(|| Duration::from_millis(u64::from(request.keep_alive) * 1500));
    let mut deadline = keep_alive.map(|interval| Instant::now() + interval);

    // Bytes behind the CONNECT may already hold more packets: a client may pipeline them
    // without waiting for the CONNACK, and no further read would wake us for them.
    let mut unparsed_input = true;
    let exit = loop {
        if unparsed_input {
            unparsed_input = false;
            match session.handle_buffered(&mut inbuf) {
                Ok(Flow::Continue) => {}
                Ok(Flow::Disconnect) => break Exit::Disconnected,
                Err(error) => {
                    tracing::info!(client_id = client_id.as_str(), %error, "protocol error: closing");
                    break Exit::Unclean("protocol error");
                }
            }
        }
        if !session.out.is_empty() {
            let packets = std::mem::take(&mut session.out);
            let written = tokio::select! {
                () = kick.cancelled() => break session.kicked(),
                written = write_packets(&mut stream, &packets) => written,
            };
            if let Err(error) = written {
                tracing::debug!(%error, "write failed");
                break Exit::Unclean("write failed");
            }
        }
        inbuf.reserve(4096);
        tokio::select! {
            () = kick.cancelled() => break session.kicked(),
            () = sleep_until(deadline.unwrap_or_else(Instant::now)), if deadline.is_some() => {
                tracing::info!(client_id = client_id.as_str(), "keep-alive expired: closing");
                break Exit::Unclean("keep-alive expired");
            }
            read = stream.read_buf(&mut inbuf) => {
                match read {
                    Ok(0) => break Exit::Unclean("connection closed without DISCONNECT"),
                    Ok(_) => {}
                    Err(error) => {
                        tracing::debug!(%error, "read failed");
                        break Exit::Unclean("read failed");
                    }
                }
                deadline = keep_alive.map(|interval| Instant::now() + interval);
                unparsed_input = true;
            }
            message = queued.recv() => {
                // `None`: the router dropped our queue, i.e. another connection took over.
                let Some(message) = message else { break session.kicked() };
                session.push_outgoing(message);
                while session.out.len() < WRITE_BATCH {
                    let Ok(message) = queued.try_recv() else { break };
                    session.push_outgoing(message);
                }
            }
        }
    };

    let publish_will = matches!(exit, Exit::Unclean(_));
    shared
        .router()
        .disconnect(&client_id, connection, publish_will);
    tracing::info!(
        client_id = client_id.as_str(),
        reason = exit.reason(),
        will = publish_will,
        "MQTT client gone"
    );
}

/// Reads the CONNECT and decides on it. Refusals get their CONNACK here; `None` means the
/// connection is over.
async fn admit<S>(stream: &mut S, inbuf: &mut BytesMut, shared: &Shared) -> Option<ConnectRequest>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let first = tokio::select! {
        () = shared.shutdown.cancelled() => return None,
        first = timeout(CONNECT_TIMEOUT, read_connect(stream, inbuf)) => first,
    };
    let outcome = match first {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(error)) => {
            tracing::debug!(%error, "connection closed before a valid CONNECT");
            return None;
        }
        Err(_) => {
            tracing::debug!("no CONNECT in time: closing");
            return None;
        }
    };
    let mut request = match outcome {
        ConnectOutcome::Accept(request) => request,
        ConnectOutcome::Refuse(code) => return refuse(stream, code).await,
    };
    if request.client_id.is_empty() {
        // Allowed for clean sessions (MQTT-3.1.3-6); the broker names the client.
        request.client_id = format!("auto-{}", uuid::Uuid::new_v4());
    }
    Some(request)
}

/// Answers a CONNECT with a refusal; the connection is over after that.
async fn refuse<S>(stream: &mut S, code: ConnectReturnCode) -> Option<ConnectRequest>
where
    S: AsyncWrite + Unpin,
{
    tracing::info!(?code, "refusing MQTT connection");
    let _ = write_packets(stream, &[Packet::ConnAck(ConnAck::new(code, false))]).await;
    None
}

/// A protocol violation that closes the connection.
#[derive(Debug, thiserror::Error)]
pub(super) enum ProtocolError {
    #[error("malformed packet: {0}")]
    Codec(#[from] mqttbytes::Error),
    #[error("a second CONNECT on the same connection")]
    SecondConnect,
    #[error("a packet only a server may send: {0:?}")]
    ServerOnlyPacket(PacketType),
    #[error("invalid topic name {0:?}")]
    InvalidTopic(String),
    #[error("the connection closed")]
    Closed,
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
}

/// Encodes `packets` and writes them in one go.
async fn write_packets<S>(stream: &mut S, packets: &[Packet]) -> Result<(), ProtocolError>
where
    S: AsyncWrite + Unpin,
{
    let mut buffer = BytesMut::new();
    for packet in packets {
        // Only fails for packets we built wrongly (e.g. a QoS 1 publish with id 0): skip it
        // rather than corrupt the stream.
        if let Err(error) = packet.write(&mut buffer, usize::MAX) {
            tracing::warn!(%error, "could not encode an outgoing packet");
        }
    }
    stream.write_all(&buffer).await?;
    stream.flush().await?;
    Ok(())
}
