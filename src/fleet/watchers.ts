/** Callbacks per message id, for `Coordinator.watch`: both backends keep them the same way. */
export class Watchers {
  private readonly byId = new Map<string, Set<() => void>>();

  add(messageId: string, onChange: () => void): () => void {
    let set = this.byId.get(messageId);
    if (!set) {
      set = new Set();
      this.byId.set(messageId, set);
    }
    set.add(onChange);
    return () => {
      set.delete(onChange);
      if (set.size === 0) this.byId.delete(messageId);
    };
  }

  wake(messageId: string): void {
    const set = this.byId.get(messageId);
    if (set) for (const wake of set) wake();
  }
}
