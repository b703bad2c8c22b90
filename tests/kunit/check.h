/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the tests read of the table that nothing else reads: the
 * self-check (table_check.c, in the KUnit module).  The count of entries
 * allocated, built only where KUnit is, is entry.c's, declared in
 * <ctlite/table.h>.
 */
#ifndef _CTLITE_KUNIT_CHECK_H
#define _CTLITE_KUNIT_CHECK_H

struct ctlite_table;

unsigned int ctlite_table_check(struct ctlite_table *table);

#endif /* _CTLITE_KUNIT_CHECK_H */
