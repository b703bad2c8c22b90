// SPDX-License-Identifier: GPL-2.0
/*
 * The tests' view of the table's insides: a self-check that reads what
 * only the table's own files may (src/table_impl.h).  Built into the KUnit
 * module, not into ctlite.ko: nothing but a test calls it.
 */
#include <linux/bitops.h>
#include <linux/rculist.h>
#include <linux/rculist_nulls.h>

#include "../../src/table_impl.h"
#include "check.h"

/**
 * ctlite_table_check() - count what is wrong in a table at rest
 * @table: the table; nothing may change it meanwhile
 *
 * For tests: every entry is on the chain its key hashes to, the entries
 * add up to @table->count, and the unassured index is exact (a bucket's
 * bit set if and only if it holds an unassured entry; a word's summary bit
 * set wherever the word is non-zero).
 *
 * Return: the number of faults found, 0 for a sound table.
 */
unsigned int ctlite_table_check(struct ctlite_table *table)
{
	unsigned int i, level, entries = 0, faults = 0;
	struct hlist_nulls_node *n;
	struct ctlite_buckets *b;
	struct ctlite_entry *e;
	struct ctlite_key key;
	bool unassured;

	mutex_lock(&table->resize_lock);
	b = live(table);
	for (i = 0; i < b->size; i++) {
		unassured = false;
		hlist_nulls_for_each_entry(e, n, &b->heads[i], node) {
			entries++;
			ctlite_entry_key(e, &key);
			if (reciprocal_scale(ctlite_table_hash(table, &key),
					     b->size) != i)
				faults++;
			if (!(e->flags & CTLITE_F_ASSURED))
				unassured = true;
		}
		if (get_nulls_value(n) != i)
			faults++;
		if (test_bit(i, b->unassured[0]) != unassured)
			faults++;
	}
	/* a non-empty word has its bit in the level above */
	for (level = 0; level + 1 < CTLITE_INDEX_LEVELS; level++)
		for (i = 0; i < BITS_TO_LONGS(index_bits(b, level)); i++)
			if (b->unassured[level][i] &&
			    !test_bit(i, b->unassured[level + 1]))
				faults++;
	if (entries != atomic_read(&table->count))
		faults++;
	mutex_unlock(&table->resize_lock);
	return faults;
}
