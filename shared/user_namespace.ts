/** The initial user namespace, the one every other is made below. */

/** The inode number of the initial user namespace, the same on every kernel (PROC_USER_INIT_INO). */
export const INIT_USER_NS = 4026531837;
