/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Headers for the module-local bindgen run (see rust/Kbuild): the parts of
 * the VFS mount API that the kernel crate's bindings do not cover, and the
 * few functions they lack on some supported kernel line.
 */

#include <linux/delay.h>
#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/poll.h>
#include <linux/tracepoint.h>

#include "../helpers.h"
