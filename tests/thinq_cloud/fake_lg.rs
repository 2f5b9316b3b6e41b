//! A minimal stand-in for LG's REST front end: it refuses requests without LG's headers
//! (1216, as LG does), records every request, and answers through a per-test handler in LG's
//! envelope.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use thinq_addon::secret::Secret;
use thinq_addon::thinq::api::{API_KEY, ApiConfig, ThinqApi};
use tokio::net::TcpListener;

pub const PAT: &str = "thinqpat_test_0123456789";
pub const COUNTRY: &str = "DE";

#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
}

impl Recorded {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("request body is JSON")
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }
}

pub struct Reply {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Reply {
    /// LG's success envelope around `response`.
    pub fn ok(response: Value) -> Reply {
        let body = json!({"messageId": "AAAAAAAAAAAAAAAAAAAAAA", "timestamp": "2024-10-10T08:00:00.000000", "response": response});
        Reply {
            status: 200,
            body: body.to_string().into_bytes(),
        }
    }
    /// LG's error envelope.
    pub fn error(status: u16, code: &str, message: &str) -> Reply {
        let body = json!({"messageId": "AAAAAAAAAAAAAAAAAAAAAA", "timestamp": "2024-10-10T08:00:00.000000", "error": {"code": code, "message": message}});
        Reply {
            status,
            body: body.to_string().into_bytes(),
        }
    }
    pub fn raw(status: u16, body: &str) -> Reply {
        Reply {
            status,
            body: body.as_bytes().to_vec(),
        }
    }
}

pub type Handler = Arc<dyn Fn(&Recorded) -> Reply + Send + Sync>;

pub struct FakeLg {
    pub base_url: String,
    requests: Arc<Mutex<Vec<Recorded>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeLg {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Why a request lacks LG's headers, if it does.
fn header_problem(req: &Recorded) -> Option<String> {
    let expect = |name: &str, want: &str| match req.header(name) {
        Some(got) if got == want => None,
        got => Some(format!("{name}: expected {want:?}, got {got:?}")),
    };
    expect("authorization", &format!("Bearer {PAT}"))
        .or_else(|| expect("x-country", COUNTRY))
        .or_else(|| expect("x-api-key", API_KEY))
        .or_else(|| expect("x-service-phase", "OP"))
        .or_else(|| match req.header("x-message-id") {
            Some(id)
                if id.len() == 22
                    && id
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') =>
            {
                None
            }
            got => Some(format!("x-message-id malformed: {got:?}")),
        })
        .or_else(|| match req.header("x-client-id") {
            Some(id) if !id.is_empty() => None,
            _ => Some("x-client-id missing".into()),
        })
}

impl FakeLg {
    pub async fn start(handler: impl Fn(&Recorded) -> Reply + Send + Sync + 'static) -> FakeLg {
        let handler: Handler = Arc::new(handler);
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let recorded = requests.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let handler = handler.clone();
                let recorded = recorded.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                        let handler = handler.clone();
                        let recorded = recorded.clone();
                        async move {
                            let method = req.method().to_string();
                            let path = req.uri().path().to_owned();
                            let headers = req
                                .headers()
                                .iter()
                                .map(|(k, v)| {
                                    (
                                        k.as_str().to_owned(),
                                        v.to_str().unwrap_or_default().to_owned(),
                                    )
                                })
                                .collect();
                            let body = req
                                .into_body()
                                .collect()
                                .await
                                .map(|b| b.to_bytes().to_vec())
                                .unwrap_or_default();
                            let rec = Recorded {
                                method,
                                path,
                                headers,
                                body,
                            };
                            recorded.lock().unwrap().push(rec.clone());
                            let reply = match header_problem(&rec) {
                                Some(problem) => Reply::error(400, "1216", &problem),
                                None => handler(&rec),
                            };
                            let response = hyper::Response::builder()
                                .status(reply.status)
                                .header("content-type", "application/json")
                                .body(Full::new(Bytes::from(reply.body)))
                                .unwrap();
                            Ok::<_, Infallible>(response)
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        FakeLg {
            base_url,
            requests,
            task,
        }
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }

    pub fn config(&self, client_id: &str) -> ApiConfig {
        ApiConfig {
            base_url: self.base_url.clone(),
            pat: Secret::new(PAT),
            country: COUNTRY.into(),
            client_id: client_id.into(),
        }
    }

    pub fn api(&self, client_id: &str) -> ThinqApi {
        thinq_addon::install_crypto_provider();
        ThinqApi::new(self.config(client_id)).unwrap()
    }
}
