// Two people on one board: a move by one appears for the other without a reload, a drag in
// progress shows the card locked with the dragger's name, and presence lists both.
import { expect, test } from "@playwright/test";
import { apiAs, twoBoards, unique } from "./support/fixtures";

test("moves, locks and presence travel between two browsers", async ({ browser }) => {
  const api = await apiAs("alice");
  const sprint = await api.sprint(unique("Live"), 12);
  const task = await api.task({ name: unique("Shared"), sprint: sprint.id, status: 1 });
  const other = await api.task({ name: unique("Other"), sprint: sprint.id, status: 1 });

  const { alice, bob, aliceContext, bobContext } = await twoBoards(browser, sprint.id);

  await expect(alice.presence).toContainText("bob");
  await expect(bob.presence).toContainText("alice");

  // Alice drags: Bob sees it in the new column, no reload.
  await alice.dragToColumn(task.name, "In Testing");
  await expect(bob.cardIn("In Testing", task.name)).toBeVisible();
  await expect(bob.cardIn("Not Started", task.name)).toHaveCount(0);

  // A change made anywhere else (a script, say) reaches both.
  await api.patchTask(other.id, { name: `${other.name} renamed` });
  await expect(alice.card(`${other.name} renamed`)).toBeVisible();
  await expect(bob.card(`${other.name} renamed`)).toBeVisible();

  // While Alice holds a card mid-drag, Bob sees it locked with her name.
  const card = alice.card(`${other.name} renamed`);
  const box = (await card.boundingBox())!;
  await alice.page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await alice.page.mouse.down();
  await alice.page.mouse.move(box.x + box.width / 2 + 40, box.y + box.height / 2 + 40, { steps: 5 });
  const locked = bob.card(`${other.name} renamed`);
  await expect(locked).toHaveClass(/locked/);
  await expect(locked).toContainText("alice is moving this");
  await expect(locked).toHaveAttribute("draggable", "false");
  await expect(locked).toHaveAttribute("aria-disabled", "true");
  await alice.page.mouse.up();
  await expect(locked).not.toHaveClass(/locked/);
  await expect(locked).not.toHaveAttribute("aria-disabled");

  // Bob leaves: Alice's presence list follows.
  await bobContext.close();
  await expect(alice.presence).not.toContainText("bob");
  await aliceContext.close();
  await api.dispose();
});
