//! End-to-end tests of cloudcost-bot against a fake Bot API server on 127.0.0.1 (one test
//! binary; no network but loopback).

mod commands;
mod delivery;
mod digest;
mod fake;
mod harness;
mod security;
