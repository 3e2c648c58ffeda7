//! `ensure`: create missing topics with every setting of their spec, and
//! compare existing ones (partitions, replication, topic configs) without
//! changing them.
//!
//! Configs are compared with DescribeConfigs. Brokers that do not implement
//! it (Tansu 0.6 answers it only partly, or not at all) cannot show us a
//! topic's configs: such topics are reported `Exists` when partitions and
//! replication match, and a warning says "configs not verifiable". Nothing
//! is ever altered (no AlterConfigs/CreatePartitions: adding partitions
//! would move keys to other partitions, and Tansu lacks both anyway).

use std::collections::HashMap;
use std::sync::Arc;

use rdkafka::admin::{
    AdminClient, AdminOptions, ConfigResource, NewTopic, ResourceSpecifier, TopicReplication,
};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::Consumer as _;
use rdkafka::error::RDKafkaErrorCode;

use crate::Shared;
use crate::client::{base_config, blocking, classify};
use veltrix_streams::{EnsureOutcome, EnsureReport, StreamError, TopicSpec};

type Admin = AdminClient<DefaultClientContext>;

/// Creates or compares every topic in `topics`.
pub(crate) async fn ensure(
    shared: &Arc<Shared>,
    topics: &[TopicSpec],
) -> Result<Vec<EnsureReport>, StreamError> {
    if topics.is_empty() {
        return Ok(Vec::new());
    }
    let admin: Admin = base_config(&shared.kafka, "admin")
        .create()
        .map_err(|e| classify("create admin client", &e))?;
    let timeout = shared.request_timeout();
    let opts = AdminOptions::new()
        .request_timeout(Some(timeout))
        .operation_timeout(Some(timeout));
    let new: Vec<NewTopic<'_>> = topics
        .iter()
        .map(|t| {
            t.configs.iter().fold(
                NewTopic::new(
                    &t.name,
                    t.partitions as i32,
                    TopicReplication::Fixed(i32::from(t.replication_factor)),
                ),
                |n, (k, v)| n.set(k, v),
            )
        })
        .collect();
    let results = admin
        .create_topics(&new, &opts)
        .await
        .map_err(|e| classify("create topics", &e))?;
    let by_name: HashMap<String, Option<RDKafkaErrorCode>> = results
        .into_iter()
        .map(|r| match r {
            Ok(name) => (name, None),
            Err((name, code)) => (name, Some(code)),
        })
        .collect();
    let mut out = Vec::with_capacity(topics.len());
    for spec in topics {
        let outcome = match by_name.get(&spec.name) {
            Some(None) => {
                tracing::info!(topic = %spec.name, partitions = spec.partitions, "topic created");
                shared
                    .registry
                    .remember(&spec.name, spec.partitions, spec.family);
                EnsureOutcome::Created
            }
            Some(Some(RDKafkaErrorCode::TopicAlreadyExists)) => {
                compare(shared, &admin, &opts, spec).await?
            }
            Some(Some(code)) => return Err(refused(&spec.name, *code)),
            None => {
                tracing::error!(topic = %spec.name, "create_topics returned no result for the topic");
                return Err(StreamError::Unavailable(
                    "topic creation gave no answer".into(),
                ));
            }
        };
        out.push(EnsureReport {
            topic: spec.name.clone(),
            outcome,
        });
    }
    Ok(out)
}

fn refused(topic: &str, code: RDKafkaErrorCode) -> StreamError {
    tracing::warn!(topic, code = ?code, "broker refused to create the topic");
    match code {
        RDKafkaErrorCode::InvalidPartitions
        | RDKafkaErrorCode::InvalidReplicationFactor
        | RDKafkaErrorCode::InvalidConfig
        | RDKafkaErrorCode::InvalidTopic
        | RDKafkaErrorCode::PolicyViolation
        | RDKafkaErrorCode::InvalidReplicaAssignment => {
            StreamError::Config(format!("topic {topic} refused by the broker ({code:?})"))
        }
        _ => StreamError::Unavailable(format!("creating topic {topic} failed ({code:?})")),
    }
}

/// An existing topic: what differs from `spec`.
async fn compare(
    shared: &Arc<Shared>,
    admin: &Admin,
    opts: &AdminOptions,
    spec: &TopicSpec,
) -> Result<EnsureOutcome, StreamError> {
    let s = shared.clone();
    let name = spec.name.clone();
    let (partitions, replicas) = blocking(move || {
        let md = s
            .meta
            .fetch_metadata(Some(&name), s.request_timeout())
            .map_err(|e| classify("fetch metadata", &e))?;
        let t = md
            .topics()
            .iter()
            .find(|t| t.name() == name && t.error().is_none())
            .ok_or_else(|| StreamError::UnknownTopic(name.clone()))?;
        let replicas = t.partitions().first().map_or(0, |p| p.replicas().len());
        Ok((t.partitions().len() as u32, replicas))
    })
    .await?;
    shared
        .registry
        .remember(&spec.name, partitions, spec.family);
    let mut d = Vec::new();
    if partitions != spec.partitions {
        d.push(format!(
            "partitions: wanted {}, found {partitions}",
            spec.partitions
        ));
    }
    if replicas != spec.replication_factor as usize {
        d.push(format!(
            "replication_factor: wanted {}, found {replicas}",
            spec.replication_factor
        ));
    }
    match describe(admin, opts, &spec.name).await {
        Some(found) => {
            for (k, want) in &spec.configs {
                match found.get(k).and_then(|e| e.value.as_deref()) {
                    Some(v) if v == want => {}
                    Some(v) => d.push(format!("{k}: wanted {want}, found {v}")),
                    None => d.push(format!("{k}: wanted {want}, found unset")),
                }
            }
        }
        None => tracing::warn!(
            topic = %spec.name,
            "configs not verifiable: the broker does not describe topic configs; \
             compared partitions and replication only"
        ),
    }
    Ok(if d.is_empty() {
        EnsureOutcome::Exists
    } else {
        EnsureOutcome::Differs { differences: d }
    })
}

/// The topic's configs, or `None` where the broker cannot describe them.
async fn describe(admin: &Admin, opts: &AdminOptions, topic: &str) -> Option<ConfigResource> {
    let res = match admin
        .describe_configs(&[ResourceSpecifier::Topic(topic)], opts)
        .await
    {
        Ok(mut r) if !r.is_empty() => r.remove(0),
        Ok(_) => return None,
        Err(e) => {
            tracing::debug!(topic, error = %e, "describe_configs failed");
            return None;
        }
    };
    match res {
        // A broker that answers with no entries at all does not track them.
        Ok(r) if !r.entries.is_empty() => Some(r),
        Ok(_) => None,
        Err(code) => {
            tracing::debug!(topic, code = ?code, "describe_configs refused");
            None
        }
    }
}
