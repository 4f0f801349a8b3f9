/* SPDX-License-Identifier: Apache-2.0 */
/* The core's public API: the only headers a server binding (mod_csc/, the
 * nginx module) may include.  The bindings' include path holds this
 * folder's parent and nothing else of shared/, so reaching past it is a
 * build error rather than a review comment. */
#ifndef CSC_PUBLIC_H
#define CSC_PUBLIC_H

#include "csc/csc_config.h"
#include "csc/csc_log.h"
#include "csc/csc_request.h"
#include "csc/csc_service.h"

#endif
