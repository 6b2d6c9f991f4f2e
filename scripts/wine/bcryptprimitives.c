/* bcryptprimitives.dll's ProcessPrng, for Wine 8 (Debian 12), which lacks it. Windows 10 and
 * later ship the real DLL; Rust's standard library (1.78+) draws its randomness from it, so a
 * Windows build of signetctl cannot start under this Wine without it. RtlGenRandom is the
 * system's own generator. Used only by scripts/wine-agent.sh. */
#include <windows.h>
#define SystemFunction036 NTAPI SystemFunction036
#include <ntsecapi.h>
#undef SystemFunction036

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
  while (len > 0) {
    ULONG n = len > 0x7fffffff ? 0x7fffffff : (ULONG)len;
    if (!RtlGenRandom(data, n)) return FALSE;
    data += n;
    len -= n;
  }
  return TRUE;
}
