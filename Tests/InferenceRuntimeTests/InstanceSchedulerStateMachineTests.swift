import InferenceRuntime
import Testing

@Suite(.timeLimit(.minutes(1))) struct InstanceSchedulerStateMachineTests {
  @Test func freeInstancesRunAtOnceThenRequestsWait() {
    var machine = InstanceSchedulerStateMachine(instanceCount: 2, maxQueueSize: 4)
    let first = machine.acquire(1)
    let second = machine.acquire(2)
    guard case .run(let a) = first, case .run(let b) = second else {
      Issue.record("expected two immediate runs, got \(first), \(second)")
      return
    }
    #expect(a != b)
    #expect(machine.acquire(3) == .wait)
    #expect(machine.queueDepth == 1)
    #expect(machine.idleInstances == 0)
  }

  @Test func releaseHandsTheInstanceToTheOldestWaiter() {
    var machine = InstanceSchedulerStateMachine(instanceCount: 1, maxQueueSize: 4)
    #expect(machine.acquire(1) == .run(instance: 0))
    #expect(machine.acquire(2) == .wait)
    #expect(machine.acquire(3) == .wait)
    #expect(machine.release(instance: 0) == .resume(waiter: 2, instance: 0))
    #expect(machine.release(instance: 0) == .resume(waiter: 3, instance: 0))
    #expect(machine.release(instance: 0) == .none)
    #expect(machine.idleInstances == 1)
  }

  @Test func fullQueueRejectsAtOnce() {
    var machine = InstanceSchedulerStateMachine(instanceCount: 1, maxQueueSize: 2)
    #expect(machine.acquire(1) == .run(instance: 0))
    #expect(machine.acquire(2) == .wait)
    #expect(machine.acquire(3) == .wait)
    #expect(machine.acquire(4) == .reject(.queueFull(limit: 2)))
    #expect(machine.queueDepth == 2)
  }

  @Test func cancelledWaiterIsSkipped() {
    var machine = InstanceSchedulerStateMachine(instanceCount: 1, maxQueueSize: 4)
    _ = machine.acquire(1)
    _ = machine.acquire(2)
    _ = machine.acquire(3)
    let first = machine.cancel(2)
    let again = machine.cancel(2)
    #expect(first)
    #expect(!again)
    #expect(machine.release(instance: 0) == .resume(waiter: 3, instance: 0))
  }

  @Test func closeFailsWaitersAndRejectsNewRequests() {
    var machine = InstanceSchedulerStateMachine(instanceCount: 1, maxQueueSize: 4)
    _ = machine.acquire(1)
    _ = machine.acquire(2)
    _ = machine.acquire(3)
    #expect(machine.close() == [2, 3])
    #expect(machine.acquire(4) == .reject(.closed))
    #expect(machine.release(instance: 0) == .none)
  }

  @Test func drainKeepsWaitersAndRejectsNewRequests() {
    var machine = InstanceSchedulerStateMachine(instanceCount: 1, maxQueueSize: 4)
    _ = machine.acquire(1)
    _ = machine.acquire(2)
    _ = machine.acquire(3)
    machine.drain()
    #expect(machine.acquire(4) == .reject(.closed))
    #expect(machine.queueDepth == 2)
    #expect(machine.release(instance: 0) == .resume(waiter: 2, instance: 0))
    #expect(machine.release(instance: 0) == .resume(waiter: 3, instance: 0))
    #expect(machine.release(instance: 0) == .none)
    #expect(machine.close() == [])
  }
}
