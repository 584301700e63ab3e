//! Black-box tests: one binary (one link step). Each module covers one part;
//! those marked emulator talk to moto_server at FERRY_TEST_AWS_ENDPOINT.
mod api;
mod dynamodb;
mod emulator;
mod flows;
mod functions;
mod orders;
mod polling;
mod ses;
mod sources;
mod sqs;
mod startup;
mod targets;
mod tenant;
