package dev.llamasimd.generate;

/** A request was refused because every slot is busy and the queue is full; try again later. */
public final class SchedulerFullException extends RuntimeException {
    public SchedulerFullException(String message) {
        super(message);
    }
}
