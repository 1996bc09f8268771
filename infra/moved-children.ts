import type * as pulumi from '@pulumi/pulumi';

/**
 * Options for a child of `component`, a component carved out of its own parent (AppService's load
 * balancer, task and scaling). Before the split these resources were that parent's own children,
 * so a deployed stack's state knows them by a URN naming the parent's type, not the component's:
 * the alias says they are the same resources, and `pulumi up` moves them in the state instead of
 * deleting them and creating new ones (a new load balancer would come with a new DNS name).
 * Built without a parent (alone, in a test), the component had no former self: no alias. The
 * aliases may go once every deployed stack has had one `pulumi up` since the split.
 */
export function movedChildOptions(
  component: pulumi.ComponentResource,
  componentOpts: pulumi.ComponentResourceOptions | undefined,
): pulumi.CustomResourceOptions {
  const formerParent = componentOpts?.parent;
  return formerParent ? { parent: component, aliases: [{ parent: formerParent }] } : { parent: component };
}
