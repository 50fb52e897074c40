//! An HTTP server that answers every request without storing anything: GETs get a body of the
//! configured size, everything else an empty 200. Measured with the same client, it is the
//! ceiling that the HTTP stack and this machine allow.

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;

pub(crate) async fn serve(address: &str, size: u64) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(address).await?;
    println!("null server listening on http://{}", listener.local_addr()?);
    let body = Bytes::from(vec![b'x'; size as usize]);
    let body = Arc::new(body);
    loop {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        let body = body.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req: http::Request<Incoming>| {
                let body = body.clone();
                async move {
                    let is_get = req.method() == http::Method::GET;
                    // CreateMultipartUpload needs an upload id for the multipart workload.
                    let initiate = req.method() == http::Method::POST
                        && req.uri().query().is_some_and(|q| q.split('&').any(|p| p == "uploads"));
                    // Drain what the client sends, as a store would.
                    let mut incoming = req.into_body();
                    while let Some(Ok(_)) = incoming.frame().await {}
                    let out = if initiate {
                        Bytes::from_static(
                            b"<InitiateMultipartUploadResult><UploadId>null</UploadId></InitiateMultipartUploadResult>",
                        )
                    } else if is_get {
                        (*body).clone()
                    } else {
                        Bytes::new()
                    };
                    let mut resp = http::Response::new(Full::new(out));
                    resp.headers_mut()
                        .insert("etag", http::HeaderValue::from_static("\"0\""));
                    Ok::<_, Infallible>(resp)
                }
            });
            // HTTP/1.1 only, no protocol sniffing: the cheapest server hyper can be.
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
