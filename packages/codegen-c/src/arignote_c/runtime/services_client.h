/* The kernel side of services.h, whose text precedes this: a user kernel's module fetches the runtime's service
 * table once, with the GIL, and clamps the running step's thread count to what its own arrays hold. codegen-c's
 * sparse kernels and nn-extras' kernels use it (runtime.services_header() hands both texts out). Include-guarded:
 * a module holding several kernels gets this text once per kernel. */
#ifndef ARIGNOTE_SERVICES_CLIENT_H
#define ARIGNOTE_SERVICES_CLIENT_H

/* The table, once ag_load_services succeeded. */
static const ag_services *ag_kernel_services;

/* Fetch the table from arignote_c.runtime.kernel_services(): 0, or -1 with a Python exception set when the
 * runtime cannot give it; ``who`` (say "the sparse kernels") names the kernels in the version mismatch's error. */
static inline int ag_load_services(const char *who) {
    if (ag_kernel_services) return 0;
    PyObject *runtime = PyImport_ImportModule("arignote_c.runtime");
    PyObject *capsule = runtime ? PyObject_CallMethod(runtime, "kernel_services", NULL) : NULL;
    Py_XDECREF(runtime);
    if (!capsule) return -1;
    const ag_services *found = (const ag_services *)PyCapsule_GetPointer(capsule, AG_SERVICES_CAPSULE);
    Py_DECREF(capsule); /* the runtime module holds the table for the life of the process */
    if (!found) return -1;
    if (found->version != AG_SERVICES_VERSION) {
        PyErr_Format(PyExc_RuntimeError, "%s need the runtime services of version %d, not %d", who,
                     AG_SERVICES_VERSION, found->version);
        return -1;
    }
    ag_kernel_services = found;
    return 0;
}

/* The threads the running step may use, between 1 and ``most`` (the table loaded). */
static inline int ag_kernel_threads(int most) {
    const int threads = ag_kernel_services->threads();
    return threads < 1 ? 1 : threads > most ? most : threads;
}
#endif
