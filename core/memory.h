// Process-wide allocator policy for ascent's entry points (the CLI, benchmarks, later the learner and actor):
// glibc otherwise unmaps every large freed buffer, so each training step page-faults its activations in again
// (measured: +20-30% step time on the tiny preset). Keeping freed memory in the heap makes the next step
// reuse it.
#pragma once

namespace ascent {

void memory_keep_freed_pages();

}  // namespace ascent
