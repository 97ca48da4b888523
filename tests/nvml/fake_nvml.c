/*
 * A stand-in for libnvidia-ml.so.1 for machines without a GPU.
 *
 * It exports the NVML symbols vigil calls, with the signatures and struct layouts of NVML's
 * nvml.h, and answers from a scenario file, so vigil's real code path (nvml-wrapper's dlopen, its
 * symbol lookup, its error mapping) runs unchanged. The scenario file is the library's own path
 * plus ".scenario" (found with dladdr), so two copies of the library in two directories are two
 * independent hosts, even inside one test process. The file is read again whenever it changes
 * (mtime, size or inode: write a new file and rename it over the old one), so a test can make a
 * card busy or start a process while vigil watches.
 *
 * Built with -DOLD_DRIVER it leaves out the calls that old drivers lack (MemoryInfo_v2, the _v3
 * process lists, FanSpeed_v2) and exports their older forms instead.
 *
 * Scenario format, one record per line, `key=value` fields, values may be "double quoted":
 *   init ok|driver_not_loaded|no_permission|version_mismatch|unknown
 *   driver 550.54.15
 *   cuda 12040
 *   gpu name="NVIDIA A100" uuid=GPU-... util=87 memutil=40 mem_total=... mem_used=... temp=71
 *       power_mw=312000 limit_mw=400000 fan=35 sm_clock=1410 throttle=0x8 ecc=1 ecc_uncorrected=2
 *       mig=0 pci=00000000:07:00.0 lost=0
 *   proc gpu=0 pid=1234 used=2147483648 type=compute|graphics sm=55
 *   xid gpu=0 code=79
 * A gpu field left out makes its call return NVML_ERROR_NOT_SUPPORTED. A card whose processes
 * carry no `sm=` answers the per-process utilization call with NVML_ERROR_NOT_FOUND, as an idle
 * card does.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef int nvmlReturn_t;
enum {
    NVML_SUCCESS = 0,
    NVML_ERROR_UNINITIALIZED = 1,
    NVML_ERROR_INVALID_ARGUMENT = 2,
    NVML_ERROR_NOT_SUPPORTED = 3,
    NVML_ERROR_NO_PERMISSION = 4,
    NVML_ERROR_NOT_FOUND = 6,
    NVML_ERROR_INSUFFICIENT_SIZE = 7,
    NVML_ERROR_DRIVER_NOT_LOADED = 9,
    NVML_ERROR_TIMEOUT = 10,
    NVML_ERROR_GPU_IS_LOST = 15,
    NVML_ERROR_LIB_RM_VERSION_MISMATCH = 18,
    NVML_ERROR_UNKNOWN = 999,
};

#define MAX_GPUS 64
#define MAX_PROCS 4096
#define MAX_XIDS 256
#define UNSET (-1LL)

typedef struct {
    unsigned long long total, free, used;
} nvmlMemory_t;
typedef struct {
    unsigned int version;
    unsigned long long total, reserved, free, used;
} nvmlMemory_v2_t;
typedef struct {
    unsigned int gpu, memory;
} nvmlUtilization_t;
typedef struct {
    unsigned int pid;
    unsigned long long usedGpuMemory;
    unsigned int gpuInstanceId, computeInstanceId;
} nvmlProcessInfo_t;
typedef struct {
    unsigned int pid;
    unsigned long long timeStamp;
    unsigned int smUtil, memUtil, encUtil, decUtil;
} nvmlProcessUtilizationSample_t;
typedef struct {
    char busIdLegacy[16];
    unsigned int domain, bus, device, pciDeviceId, pciSubSystemId;
    char busId[32];
} nvmlPciInfo_t;

struct gpu;
typedef struct gpu *nvmlDevice_t;
typedef struct {
    nvmlDevice_t device;
    unsigned long long eventType, eventData;
    unsigned int gpuInstanceId, computeInstanceId;
} nvmlEventData_t;
typedef struct event_set {
    int unused;
} *nvmlEventSet_t;

struct gpu {
    unsigned index;
    char name[96], uuid[96], pci[32];
    long long util, memutil, mem_total, mem_used, temp, power_mw, limit_mw, fan, sm_clock, throttle,
        ecc, ecc_uncorrected, mig, lost;
};
struct proc {
    unsigned gpu, pid;
    long long used, sm;
    int graphics;
};
struct xid {
    unsigned gpu;
    unsigned long long code;
};

static struct {
    char path[4096];
    time_t mtime;
    long mtime_ns;
    off_t size;
    ino_t inode;
    int loaded;
    nvmlReturn_t init_result;
    char driver[80];
    int cuda;
    unsigned gpu_count;
    struct gpu gpus[MAX_GPUS];
    unsigned proc_count;
    struct proc procs[MAX_PROCS];
    unsigned xid_count, xids_delivered;
    struct xid xids[MAX_XIDS];
    struct event_set events;
    int initialized;
} S;

/* ----- scenario file ------------------------------------------------------------------- */

static void scenario_path(void) {
    Dl_info info;
    if (S.path[0]) return;
    if (dladdr((void *)&scenario_path, &info) && info.dli_fname)
        snprintf(S.path, sizeof S.path, "%s.scenario", info.dli_fname);
}

/* Next `key=value` of a line; returns 0 at its end. Values may be "double quoted". */
static int next_field(char **cursor, char **key, char **value) {
    char *p = *cursor;
    while (*p == ' ' || *p == '\t') p++;
    if (!*p || *p == '\n') return 0;
    *key = p;
    while (*p && *p != '=' && *p != ' ' && *p != '\n') p++;
    if (*p != '=') return 0;
    *p++ = 0;
    if (*p == '"') {
        *value = ++p;
        while (*p && *p != '"') p++;
    } else {
        *value = p;
        while (*p && *p != ' ' && *p != '\t' && *p != '\n') p++;
    }
    if (*p) *p++ = 0;
    *cursor = p;
    return 1;
}

static long long number(const char *text) {
    if (!strcmp(text, "-")) return UNSET;
    return strtoll(text, NULL, 0);
}

static void parse_gpu(char *rest) {
    char *key, *value;
    struct gpu *g;
    if (S.gpu_count >= MAX_GPUS) return;
    g = &S.gpus[S.gpu_count];
    memset(g, 0, sizeof *g);
    g->index = S.gpu_count++;
    g->util = g->memutil = g->mem_total = g->mem_used = g->temp = g->power_mw = g->limit_mw = g->fan =
        g->sm_clock = g->throttle = g->ecc = g->ecc_uncorrected = g->mig = UNSET;
    g->lost = 0;
    while (next_field(&rest, &key, &value)) {
        if (!strcmp(key, "name")) snprintf(g->name, sizeof g->name, "%s", value);
        else if (!strcmp(key, "uuid")) snprintf(g->uuid, sizeof g->uuid, "%s", value);
        else if (!strcmp(key, "pci")) snprintf(g->pci, sizeof g->pci, "%s", value);
        else if (!strcmp(key, "util")) g->util = number(value);
        else if (!strcmp(key, "memutil")) g->memutil = number(value);
        else if (!strcmp(key, "mem_total")) g->mem_total = number(value);
        else if (!strcmp(key, "mem_used")) g->mem_used = number(value);
        else if (!strcmp(key, "temp")) g->temp = number(value);
        else if (!strcmp(key, "power_mw")) g->power_mw = number(value);
        else if (!strcmp(key, "limit_mw")) g->limit_mw = number(value);
        else if (!strcmp(key, "fan")) g->fan = number(value);
        else if (!strcmp(key, "sm_clock")) g->sm_clock = number(value);
        else if (!strcmp(key, "throttle")) g->throttle = number(value);
        else if (!strcmp(key, "ecc")) g->ecc = number(value);
        else if (!strcmp(key, "ecc_uncorrected")) g->ecc_uncorrected = number(value);
        else if (!strcmp(key, "mig")) g->mig = number(value);
        else if (!strcmp(key, "lost")) g->lost = number(value);
    }
}

static void parse_proc(char *rest) {
    char *key, *value;
    struct proc *p;
    if (S.proc_count >= MAX_PROCS) return;
    p = &S.procs[S.proc_count++];
    memset(p, 0, sizeof *p);
    p->used = UNSET;
    p->sm = UNSET;
    while (next_field(&rest, &key, &value)) {
        if (!strcmp(key, "gpu")) p->gpu = (unsigned)number(value);
        else if (!strcmp(key, "pid")) p->pid = (unsigned)number(value);
        else if (!strcmp(key, "used")) p->used = number(value);
        else if (!strcmp(key, "sm")) p->sm = number(value);
        else if (!strcmp(key, "type")) p->graphics = !strcmp(value, "graphics");
    }
}

static void parse_xid(char *rest) {
    char *key, *value;
    struct xid *x;
    if (S.xid_count >= MAX_XIDS) return;
    x = &S.xids[S.xid_count++];
    memset(x, 0, sizeof *x);
    while (next_field(&rest, &key, &value)) {
        if (!strcmp(key, "gpu")) x->gpu = (unsigned)number(value);
        else if (!strcmp(key, "code")) x->code = (unsigned long long)number(value);
    }
}

static nvmlReturn_t init_result_named(const char *word) {
    if (!strncmp(word, "driver_not_loaded", 17)) return NVML_ERROR_DRIVER_NOT_LOADED;
    if (!strncmp(word, "no_permission", 13)) return NVML_ERROR_NO_PERMISSION;
    if (!strncmp(word, "version_mismatch", 16)) return NVML_ERROR_LIB_RM_VERSION_MISMATCH;
    if (!strncmp(word, "unknown", 7)) return NVML_ERROR_UNKNOWN;
    return NVML_SUCCESS;
}

/* Reads the scenario again when the file changed since the last read. */
static void load_scenario(void) {
    struct stat st;
    FILE *file;
    char line[1024];
    unsigned delivered = S.xids_delivered;
    scenario_path();
    if (stat(S.path, &st) != 0) {
        if (!S.loaded) {
            S.loaded = 1;
            S.init_result = NVML_SUCCESS;
        }
        return;
    }
    if (S.loaded && st.st_mtim.tv_sec == S.mtime && st.st_mtim.tv_nsec == S.mtime_ns &&
        st.st_size == S.size && st.st_ino == S.inode)
        return;
    file = fopen(S.path, "r");
    if (!file) return;
    S.mtime = st.st_mtim.tv_sec;
    S.mtime_ns = st.st_mtim.tv_nsec;
    S.size = st.st_size;
    S.inode = st.st_ino;
    S.loaded = 1;
    S.init_result = NVML_SUCCESS;
    snprintf(S.driver, sizeof S.driver, "550.54.15");
    S.cuda = 12040;
    S.gpu_count = S.proc_count = S.xid_count = 0;
    while (fgets(line, sizeof line, file)) {
        char *rest = line;
        while (*rest && *rest != ' ' && *rest != '\n') rest++;
        if (*rest) *rest++ = 0;
        if (!strcmp(line, "init")) S.init_result = init_result_named(rest);
        else if (!strcmp(line, "driver")) {
            rest[strcspn(rest, "\n")] = 0;
            snprintf(S.driver, sizeof S.driver, "%.79s", rest);
        } else if (!strcmp(line, "cuda")) S.cuda = atoi(rest);
        else if (!strcmp(line, "gpu")) parse_gpu(rest);
        else if (!strcmp(line, "proc")) parse_proc(rest);
        else if (!strcmp(line, "xid")) parse_xid(rest);
    }
    fclose(file);
    /* Events already handed out stay handed out across re-reads. */
    S.xids_delivered = delivered < S.xid_count ? delivered : S.xid_count;
}

/* ----- helpers ------------------------------------------------------------------------- */

static nvmlReturn_t check(nvmlDevice_t device) {
    if (!S.initialized) return NVML_ERROR_UNINITIALIZED;
    if (!device || device < S.gpus || device >= S.gpus + S.gpu_count) return NVML_ERROR_INVALID_ARGUMENT;
    if (device->lost) return NVML_ERROR_GPU_IS_LOST;
    return NVML_SUCCESS;
}

#define FIELD(device, field, out)                         \
    do {                                                  \
        nvmlReturn_t rc = check(device);                  \
        if (rc) return rc;                                \
        if (!(out)) return NVML_ERROR_INVALID_ARGUMENT;   \
        if ((device)->field == UNSET) return NVML_ERROR_NOT_SUPPORTED; \
    } while (0)

static nvmlReturn_t copy_string(char *out, unsigned length, const char *text) {
    if (!out) return NVML_ERROR_INVALID_ARGUMENT;
    if (strlen(text) + 1 > length) return NVML_ERROR_INSUFFICIENT_SIZE;
    strcpy(out, text);
    return NVML_SUCCESS;
}

/* ----- library --------------------------------------------------------------------------- */

nvmlReturn_t nvmlInit_v2(void) {
    S.loaded = 0;
    load_scenario();
    if (S.init_result) return S.init_result;
    S.initialized = 1;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlInitWithFlags(unsigned int flags) {
    (void)flags;
    return nvmlInit_v2();
}

nvmlReturn_t nvmlShutdown(void) {
    if (!S.initialized) return NVML_ERROR_UNINITIALIZED;
    S.initialized = 0;
    return NVML_SUCCESS;
}

const char *nvmlErrorString(nvmlReturn_t result) {
    (void)result;
    return "fake NVML error";
}

nvmlReturn_t nvmlSystemGetDriverVersion(char *version, unsigned int length) {
    if (!S.initialized) return NVML_ERROR_UNINITIALIZED;
    return copy_string(version, length, S.driver);
}

nvmlReturn_t nvmlSystemGetNVMLVersion(char *version, unsigned int length) {
    char text[96];
    if (!S.initialized) return NVML_ERROR_UNINITIALIZED;
    snprintf(text, sizeof text, "12.%s", S.driver);
    return copy_string(version, length, text);
}

nvmlReturn_t nvmlSystemGetCudaDriverVersion_v2(int *version) {
    if (!S.initialized) return NVML_ERROR_UNINITIALIZED;
    if (!version) return NVML_ERROR_INVALID_ARGUMENT;
    *version = S.cuda;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *count) {
    if (!S.initialized) return NVML_ERROR_UNINITIALIZED;
    if (!count) return NVML_ERROR_INVALID_ARGUMENT;
    load_scenario();
    *count = S.gpu_count;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t *device) {
    if (!S.initialized) return NVML_ERROR_UNINITIALIZED;
    if (!device || index >= S.gpu_count) return NVML_ERROR_INVALID_ARGUMENT;
    *device = &S.gpus[index];
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetIndex(nvmlDevice_t device, unsigned int *index) {
    nvmlReturn_t rc = check(device);
    if (rc) return rc;
    *index = device->index;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t device, char *name, unsigned int length) {
    nvmlReturn_t rc = check(device);
    if (rc) return rc;
    return copy_string(name, length, device->name[0] ? device->name : "NVIDIA Test GPU");
}

nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t device, char *uuid, unsigned int length) {
    nvmlReturn_t rc = check(device);
    if (rc) return rc;
    return copy_string(uuid, length, device->uuid);
}

nvmlReturn_t nvmlDeviceGetPciInfo_v3(nvmlDevice_t device, nvmlPciInfo_t *pci) {
    nvmlReturn_t rc = check(device);
    if (rc) return rc;
    if (!device->pci[0]) return NVML_ERROR_NOT_SUPPORTED;
    memset(pci, 0, sizeof *pci);
    snprintf(pci->busId, sizeof pci->busId, "%s", device->pci);
    snprintf(pci->busIdLegacy, sizeof pci->busIdLegacy, "%.15s", device->pci);
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetUtilizationRates(nvmlDevice_t device, nvmlUtilization_t *utilization) {
    FIELD(device, util, utilization);
    utilization->gpu = (unsigned)device->util;
    utilization->memory = device->memutil == UNSET ? 0 : (unsigned)device->memutil;
    return NVML_SUCCESS;
}

#ifdef OLD_DRIVER
nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t device, nvmlMemory_t *memory) {
    FIELD(device, mem_total, memory);
    memory->total = (unsigned long long)device->mem_total;
    memory->used = device->mem_used == UNSET ? 0 : (unsigned long long)device->mem_used;
    memory->free = memory->total - memory->used;
    return NVML_SUCCESS;
}
#else
nvmlReturn_t nvmlDeviceGetMemoryInfo_v2(nvmlDevice_t device, nvmlMemory_v2_t *memory) {
    FIELD(device, mem_total, memory);
    if (memory->version != (unsigned)(sizeof(nvmlMemory_v2_t) | (2u << 24)))
        return 25; /* NVML_ERROR_ARGUMENT_VERSION_MISMATCH */
    memory->total = (unsigned long long)device->mem_total;
    memory->used = device->mem_used == UNSET ? 0 : (unsigned long long)device->mem_used;
    memory->reserved = 0;
    memory->free = memory->total - memory->used;
    return NVML_SUCCESS;
}
#endif

nvmlReturn_t nvmlDeviceGetTemperature(nvmlDevice_t device, int sensor, unsigned int *temp) {
    FIELD(device, temp, temp);
    if (sensor != 0) return NVML_ERROR_INVALID_ARGUMENT;
    *temp = (unsigned)device->temp;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetPowerUsage(nvmlDevice_t device, unsigned int *power) {
    FIELD(device, power_mw, power);
    *power = (unsigned)device->power_mw;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetEnforcedPowerLimit(nvmlDevice_t device, unsigned int *limit) {
    FIELD(device, limit_mw, limit);
    *limit = (unsigned)device->limit_mw;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetNumFans(nvmlDevice_t device, unsigned int *count) {
    nvmlReturn_t rc = check(device);
    if (rc) return rc;
    *count = device->fan == UNSET ? 0 : 1;
    return NVML_SUCCESS;
}

#ifdef OLD_DRIVER
nvmlReturn_t nvmlDeviceGetFanSpeed(nvmlDevice_t device, unsigned int *speed) {
    FIELD(device, fan, speed);
    *speed = (unsigned)device->fan;
    return NVML_SUCCESS;
}
#else
nvmlReturn_t nvmlDeviceGetFanSpeed_v2(nvmlDevice_t device, unsigned int fan, unsigned int *speed) {
    FIELD(device, fan, speed);
    if (fan != 0) return NVML_ERROR_INVALID_ARGUMENT;
    *speed = (unsigned)device->fan;
    return NVML_SUCCESS;
}
#endif

nvmlReturn_t nvmlDeviceGetClockInfo(nvmlDevice_t device, int type, unsigned int *clock) {
    FIELD(device, sm_clock, clock);
    if (type != 1) return NVML_ERROR_NOT_SUPPORTED; /* only NVML_CLOCK_SM */
    *clock = (unsigned)device->sm_clock;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetCurrentClocksThrottleReasons(nvmlDevice_t device,
                                                       unsigned long long *reasons) {
    FIELD(device, throttle, reasons);
    *reasons = (unsigned long long)device->throttle;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetEccMode(nvmlDevice_t device, int *current, int *pending) {
    FIELD(device, ecc, current);
    *current = (int)device->ecc;
    if (pending) *pending = (int)device->ecc;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetTotalEccErrors(nvmlDevice_t device, int error_type, int counter_type,
                                         unsigned long long *count) {
    FIELD(device, ecc_uncorrected, count);
    if (device->ecc != 1) return NVML_ERROR_NOT_SUPPORTED;
    (void)counter_type;
    *count = error_type == 1 ? (unsigned long long)device->ecc_uncorrected : 0;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetMigMode(nvmlDevice_t device, unsigned int *current, unsigned int *pending) {
    FIELD(device, mig, current);
    *current = (unsigned)device->mig;
    if (pending) *pending = (unsigned)device->mig;
    return NVML_SUCCESS;
}

/* The processes of one kind on one card, with NVML's two-call size protocol. */
static nvmlReturn_t running_processes(nvmlDevice_t device, int graphics, unsigned int *count,
                                      nvmlProcessInfo_t *infos) {
    unsigned found = 0, i;
    nvmlReturn_t rc = check(device);
    if (rc) return rc;
    if (!count) return NVML_ERROR_INVALID_ARGUMENT;
    for (i = 0; i < S.proc_count; i++)
        if (S.procs[i].gpu == device->index && S.procs[i].graphics == graphics) found++;
    if (!infos || *count < found) {
        *count = found;
        return found ? NVML_ERROR_INSUFFICIENT_SIZE : NVML_SUCCESS;
    }
    *count = 0;
    for (i = 0; i < S.proc_count; i++) {
        struct proc *p = &S.procs[i];
        if (p->gpu != device->index || p->graphics != graphics) continue;
        infos[*count].pid = p->pid;
        /* NVML_VALUE_NOT_AVAILABLE when the driver cannot tell (e.g. on Windows WDDM). */
        infos[*count].usedGpuMemory = p->used == UNSET ? ~0ULL : (unsigned long long)p->used;
        infos[*count].gpuInstanceId = 0xFFFFFFFF;
        infos[*count].computeInstanceId = 0xFFFFFFFF;
        (*count)++;
    }
    return NVML_SUCCESS;
}

#ifdef OLD_DRIVER
nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v2(nvmlDevice_t d, unsigned int *c, nvmlProcessInfo_t *i) {
    return running_processes(d, 0, c, i);
}
nvmlReturn_t nvmlDeviceGetGraphicsRunningProcesses_v2(nvmlDevice_t d, unsigned int *c, nvmlProcessInfo_t *i) {
    return running_processes(d, 1, c, i);
}
#else
nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v3(nvmlDevice_t d, unsigned int *c, nvmlProcessInfo_t *i) {
    return running_processes(d, 0, c, i);
}
nvmlReturn_t nvmlDeviceGetGraphicsRunningProcesses_v3(nvmlDevice_t d, unsigned int *c, nvmlProcessInfo_t *i) {
    return running_processes(d, 1, c, i);
}
nvmlReturn_t nvmlDeviceGetMPSComputeRunningProcesses_v3(nvmlDevice_t d, unsigned int *c, nvmlProcessInfo_t *i) {
    nvmlReturn_t rc = check(d);
    (void)i;
    if (rc) return rc;
    *c = 0;
    return NVML_SUCCESS;
}
#endif

nvmlReturn_t nvmlDeviceGetProcessUtilization(nvmlDevice_t device,
                                             nvmlProcessUtilizationSample_t *samples,
                                             unsigned int *count, unsigned long long last_seen) {
    unsigned found = 0, i;
    nvmlReturn_t rc = check(device);
    (void)last_seen;
    if (rc) return rc;
    if (!count) return NVML_ERROR_INVALID_ARGUMENT;
    for (i = 0; i < S.proc_count; i++)
        if (S.procs[i].gpu == device->index && S.procs[i].sm != UNSET) found++;
    if (!found) return NVML_ERROR_NOT_FOUND; /* no samples: what an idle card answers */
    if (!samples || *count < found) {
        *count = found;
        return NVML_ERROR_INSUFFICIENT_SIZE;
    }
    *count = 0;
    for (i = 0; i < S.proc_count; i++) {
        struct proc *p = &S.procs[i];
        if (p->gpu != device->index || p->sm == UNSET) continue;
        memset(&samples[*count], 0, sizeof samples[*count]);
        samples[*count].pid = p->pid;
        samples[*count].timeStamp = last_seen + 1;
        samples[*count].smUtil = (unsigned)p->sm;
        (*count)++;
    }
    return NVML_SUCCESS;
}

/* ----- events (XID) ---------------------------------------------------------------------- */

nvmlReturn_t nvmlEventSetCreate(nvmlEventSet_t *set) {
    if (!S.initialized) return NVML_ERROR_UNINITIALIZED;
    *set = &S.events;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetSupportedEventTypes(nvmlDevice_t device, unsigned long long *types) {
    nvmlReturn_t rc = check(device);
    if (rc) return rc;
    *types = 0x8 | 0x4; /* XID critical errors, double-bit ECC */
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceRegisterEvents(nvmlDevice_t device, unsigned long long types,
                                      nvmlEventSet_t set) {
    nvmlReturn_t rc = check(device);
    (void)types;
    (void)set;
    return rc;
}

nvmlReturn_t nvmlEventSetWait_v2(nvmlEventSet_t set, nvmlEventData_t *data, unsigned int timeout) {
    struct xid *x;
    (void)set;
    (void)timeout;
    if (!S.initialized) return NVML_ERROR_UNINITIALIZED;
    load_scenario();
    if (S.xids_delivered >= S.xid_count) return NVML_ERROR_TIMEOUT;
    x = &S.xids[S.xids_delivered++];
    memset(data, 0, sizeof *data);
    data->device = x->gpu < S.gpu_count ? &S.gpus[x->gpu] : NULL;
    data->eventType = 0x8;
    data->eventData = x->code;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlEventSetFree(nvmlEventSet_t set) {
    (void)set;
    return NVML_SUCCESS;
}
