// Package fleet runs the independent jobs of a search, a lambda sweep or a
// simulation on a fleet of workers over NATS JetStream, so that several
// machines share the work with an existing, well-kept engine instead of a
// protocol of this module's own.
//
// A job is a Job: a kind, a JSON description and content-addressed inputs.
// Its identity is its hash (Job.Hash, SHA-256 over the kind, the
// description and the inputs' hashes): the same work always has the same
// hash and different work never shares one. The coordinator (Fleet.Run)
// publishes jobs on the work-queue stream JobsStream; a worker (Worker)
// pulls one at a time, runs the kind's Handler (the same library call the
// local path makes), stores the result in the key-value bucket
// ResultsBucket under the job's hash, and acknowledges the message. Shared
// inputs (a super-network checkpoint, a dataset directory) go into the
// object store InputsStore under their SHA-256; a worker downloads each
// once into its cache and checks the hash, so it never uses a stale copy.
//
// Invariants:
//   - Results are idempotent by job hash: a job run twice (a redelivery
//     after a worker was killed, a second coordinator) stores the same
//     bytes under the same key and is counted once.
//   - Fleet.Run returns results in the order of its jobs, whatever the
//     number of workers and the order of completion, so a distributed run
//     is bit-identical to the local one when the handler is a pure
//     function of its job and inputs.
//   - A job whose handler fails (bad input) is terminated (AckTerm), its
//     error stored once; Fleet.Run returns that error and removes it from
//     the bucket, so a later run tries again. A worker that disappears
//     mid-job loses nothing: the message is redelivered after the
//     consumer's AckWait; a running job sends in-progress acks every
//     AckWait/3.
//   - A coordinator restarted on the same jobs finds the finished ones in
//     the bucket and publishes only the rest.
//
// Job kinds and the local calls they make: KindEval (a search round's
// candidates, pipeline.NewEvaluator), KindDeploy (a lambda winner,
// pipeline.Deploy), KindSimulate (a shard of images,
// pipeline.SimulateShard), KindTrain (an experiment's stand-alone run,
// experiments.TrainRun) and KindEcho (trivial, for measurements). A result
// larger than a message of the server goes to the object store under its
// SHA-256, the bucket holding the hash.
//
// StartServer embeds a nats-server with JetStream for tests and for
// `autosnn fleet up`.
package fleet
