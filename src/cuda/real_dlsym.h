// real_dlsym.h — glibc's dlsym, for the interposer's own lookups. The
// interposer defines dlsym itself (dlsym_hook.cc); a call to dlsym from this
// library would come back to that definition.
//
// Thread-safety: any thread, at any time (resolved on first use, lock-free).
#pragma once

namespace memledger::cuda {

// dlsym as glibc implements it, called from this library: RTLD_NEXT means the
// objects after this one.
void* RealDlsym(void* handle, const char* name);

}  // namespace memledger::cuda
