//! librdkafka settings shared by every client, and how Kafka errors become
//! [`StreamError`]s: the broker's text is logged with `tracing`; callers get
//! our own message naming the operation and, at most, the error code.

use rdkafka::ClientConfig;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};

use crate::KafkaConfig;
use veltrix_streams::StreamError;

/// Bootstrap servers and a client id `<client_id>-<role>`.
pub fn base_config(kafka: &KafkaConfig, role: &str) -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", &kafka.brokers)
        .set("client.id", format!("{}-{role}", kafka.client_id))
        .set("socket.timeout.ms", kafka.request_timeout_ms.to_string())
        // librdkafka logs through its own callback; keep it to warnings.
        .set_log_level(rdkafka::config::RDKafkaLogLevel::Warning);
    c
}

/// The librdkafka error code's name, or a generic word when there is none.
pub fn code_name(e: &KafkaError) -> String {
    match e.rdkafka_error_code() {
        Some(code) => format!("{code:?}"),
        None => "client error".into(),
    }
}

/// Logs `e` and returns our classification of it.
pub fn classify(op: &'static str, e: &KafkaError) -> StreamError {
    let code = code_name(e);
    tracing::warn!(op, code = %code, error = %e, "kafka operation failed");
    match e.rdkafka_error_code() {
        Some(RDKafkaErrorCode::QueueFull) => StreamError::Backpressure,
        Some(RDKafkaErrorCode::UnknownTopicOrPartition | RDKafkaErrorCode::UnknownTopic) => {
            StreamError::UnknownTopic(format!("({op})"))
        }
        Some(
            RDKafkaErrorCode::BrokerTransportFailure
            | RDKafkaErrorCode::AllBrokersDown
            | RDKafkaErrorCode::Resolve,
        ) => StreamError::Unavailable("broker unreachable".into()),
        _ => StreamError::Unavailable(format!("{op} failed ({code})")),
    }
}

/// Runs a blocking librdkafka call off the async runtime.
pub async fn blocking<T, F>(f: F) -> Result<T, StreamError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, StreamError> + Send + 'static,
{
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|_| StreamError::Closed)?
}
