//! Black-box tests: one binary (one link step). Each module covers one part;
//! those marked emulator talk to moto_server at FERRY_TEST_AWS_ENDPOINT.
mod emulator;
mod sqs;
mod ses;
mod startup;
mod dynamodb;
mod targets;
mod orders;
mod sources;
mod functions;
mod flows;
mod api;
mod polling;
