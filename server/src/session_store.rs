//! A tower-sessions store on the `redis` crate.
//!
//! tower-sessions-redis-store exists but is built on `fred`; the platform already uses `redis`
//! (rate limits, pub/sub), and one Redis client is simpler to run and reason about. The store
//! is four commands: SET NX EXAT, SET EXAT, GET, DEL.

use async_trait::async_trait;
use redis::aio::ConnectionManager;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

/// Sessions as JSON strings under `<prefix>:session:<id>`, expiring with the session.
#[derive(Clone)]
pub struct RedisSessionStore {
    conn: ConnectionManager,
    prefix: String,
}

impl std::fmt::Debug for RedisSessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisSessionStore")
            .field("prefix", &self.prefix)
            .finish()
    }
}

impl RedisSessionStore {
    /// A store over a shared connection.
    pub fn new(conn: ConnectionManager, prefix: &str) -> Self {
        Self {
            conn,
            prefix: format!("{prefix}:session:"),
        }
    }

    fn key(&self, id: &Id) -> String {
        format!("{}{}", self.prefix, id)
    }

    async fn set(&self, record: &Record, only_new: bool) -> session_store::Result<bool> {
        let value = serde_json::to_string(record)
            .map_err(|e| session_store::Error::Encode(e.to_string()))?;
        let mut cmd = redis::cmd("SET");
        cmd.arg(self.key(&record.id)).arg(value);
        if only_new {
            cmd.arg("NX");
        }
        cmd.arg("EXAT").arg(record.expiry_date.unix_timestamp());
        let reply: Option<String> = cmd
            .query_async(&mut self.conn.clone())
            .await
            .map_err(backend)?;
        Ok(reply.is_some())
    }
}

fn backend(e: redis::RedisError) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

#[async_trait]
impl SessionStore for RedisSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // A fresh random id collides with an existing one essentially never; retry if it does.
        while !self.set(record, true).await? {
            record.id = Id::default();
        }
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.set(record, false).await.map(|_| ())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let value: Option<String> = redis::cmd("GET")
            .arg(self.key(id))
            .query_async(&mut self.conn.clone())
            .await
            .map_err(backend)?;
        value
            .map(|v| {
                serde_json::from_str(&v).map_err(|e| session_store::Error::Decode(e.to_string()))
            })
            .transpose()
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        let _: i64 = redis::cmd("DEL")
            .arg(self.key(id))
            .query_async(&mut self.conn.clone())
            .await
            .map_err(backend)?;
        Ok(())
    }
}
