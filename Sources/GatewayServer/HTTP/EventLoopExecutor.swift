import NIOCore

/// Runs a task's jobs on a connection's NIO event loop. HTTP requests are handled under this task
/// executor preference, so reading a request, answering it from the world and writing the answer happen
/// on the connection's own thread: without it, every request hops from the event loop to Swift's
/// global pool and back (two thread wake-ups, measured by `gateway-bench rest`). Handlers must not
/// block, which the REST world and the control API never do (their waits suspend).
final class EventLoopExecutor: TaskExecutor {
    let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) { self.eventLoop = eventLoop }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
